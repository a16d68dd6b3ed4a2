"""What the zoo's models of binary images share (`vae`, `pixel_lstm`).

Pixels as Bernoulli variables, training images binarised afresh at every step, and the
Bernoulli log-likelihood computed stably from logits."""

import contextlib

import keras
from keras import ops

from zoo.config import positive
from zoo.errors import ConfigError
from zoo.models.base import ZooModel


class BinaryImageModel(ZooModel):
    """Base class of a model of binary images (not registered itself).

    A subclass sets `image_shape` (height, width, channels) and a `seed_generator` (a
    `keras.random.SeedGenerator`) in its `__init__`; `binarize` draws from that generator. Its
    sampling fields (`sample_temperature`, 1 where it has none) are listed by
    `own_sampling_fields`; a subclass that adds one overrides it and `check_sampling` together.
    `VAE` and `PixelLSTM` are its subclasses.

    Examples:
        >>> import zoo
        >>> from zoo.models.bernoulli import BinaryImageModel
        >>> isinstance(zoo.load("vae", latent_dim=2), BinaryImageModel)
        True
    """

    def checked_temperature(self, temperature):
        """The temperature a draw uses, checked: the one check of a `temperature=` argument.

        Args:
            temperature: a number, or None for the model's `sample_temperature`.

        Returns:
            float: the temperature.

        Raises:
            zoo.ConfigError (a ValueError): it is not positive and finite.

        Examples:
            >>> import zoo
            >>> vae = zoo.load("vae", latent_dim=2, sample_temperature=0.8)
            >>> vae.checked_temperature(None), vae.checked_temperature(1)
            (0.8, 1.0)
            >>> vae.checked_temperature(0)
            Traceback (most recent call last):
            ...
            zoo.errors.ConfigError: temperature must be positive, got 0: 1 draws from the model itself, ...
        """
        temperature = getattr(self, "sample_temperature", 1.0) if temperature is None else temperature
        if problem := positive(temperature):
            raise ConfigError(f"temperature {problem}, got {temperature!r}: 1 draws from the model itself, below 1 "
                              f"surer and less varied samples.")
        return float(temperature)

    def own_sampling_fields(self):
        """The sampling fields at which the model draws from its own distribution.

        Returns:
            dict: {field: value}: `sample_temperature` 1 (`PixelLSTM` adds `guidance` 0).

        Examples:
            >>> import zoo
            >>> zoo.load("vae", latent_dim=2).own_sampling_fields()
            {'sample_temperature': 1.0}
        """
        return {"sample_temperature": 1.0}

    def sampling_fields(self):
        """The model's sampling fields as they are now.

        Returns:
            dict: {field: value}, for the fields of `own_sampling_fields()` (a field the model
                lacks at its own value).

        Examples:
            >>> import zoo
            >>> zoo.load("vae", latent_dim=2, sample_temperature=0.8).sampling_fields()
            {'sample_temperature': 0.8}
        """
        return {field: getattr(self, field, own) for field, own in self.own_sampling_fields().items()}

    def check_sampling(self):
        """Checks the model's sampling fields as a draw would (an export calls it).

        Raises:
            zoo.ConfigError (a ValueError): a field, set by hand, has a value a draw refuses.

        Examples:
            >>> import zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> vae.sample_temperature = -1.0
            >>> vae.check_sampling()
            Traceback (most recent call last):
            ...
            zoo.errors.ConfigError: temperature must be positive, got -1.0: 1 draws from the model itself, ...
        """
        self.checked_temperature(None)

    @contextlib.contextmanager
    def sampling_as(self, **fields):
        """Within the `with` block the model draws with `fields`; after it, as before.

        The fields are checked (`check_sampling`), and restored however the block ends: how the
        cards' `_t1` measures draw at temperature 1, and `benchmarks.temperature` at each τ.

        Args:
            **fields: sampling fields (the keys of `own_sampling_fields()`) and their values.

        Yields:
            The model itself.

        Raises:
            zoo.ConfigError (a ValueError): a field is not a sampling field of this model,
                or its value is one a draw refuses.

        Examples:
            >>> import zoo
            >>> vae = zoo.load("vae", latent_dim=2, sample_temperature=0.8)
            >>> with vae.sampling_as(**vae.own_sampling_fields()):
            ...     vae.sampling_fields()
            {'sample_temperature': 1.0}
            >>> vae.sampling_fields()
            {'sample_temperature': 0.8}
        """
        kept = self.sampling_fields()
        if unknown := sorted(set(fields) - set(kept)):
            raise ConfigError(f"{type(self).__name__} has no sampling field {', '.join(unknown)}; its sampling "
                              f"fields: {', '.join(kept)}")
        try:
            for field, value in fields.items():
                setattr(self, field, value)
            self.check_sampling()
            yield self
        finally:
            for field, value in kept.items():
                setattr(self, field, value)

    def _pixels(self, images):
        return ops.reshape(ops.cast(images, "float32") / 255.0, (-1, *self.image_shape))

    def binarize(self, images):
        """Draws one binary image per raw image: each pixel 1 with probability pixel / 255.

        Dynamic binarisation: called at every training step, it gives a fresh binary image of
        the digit each time. Images already in {0, 255} stay as they are. The draws come from
        the model's `seed_generator` (the same on every replica under a `tf.distribute`
        strategy, each replica keeping its own rows).

        Args:
            images: raw pixels (0–255, `uint8` or any number type), [batch, h, w, c] or
                [batch, h, w] for one channel; reshaped to [-1, *image_shape].

        Returns:
            The binary images, float32 0 or 1, [batch, h, w, c].

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> white = vae.binarize(np.full((2, 28, 28), 255, "uint8"))
            >>> white.shape, white.dtype, float(white.numpy().min())
            (TensorShape([2, 28, 28, 1]), tf.float32, 1.0)
            >>> float(vae.binarize(np.zeros((2, 28, 28, 1), "uint8")).numpy().max())
            0.0
        """
        p = self._pixels(images)
        uniform = self.replica_rows(lambda n: keras.random.uniform((n, *self.image_shape), seed=self.seed_generator),
                                    ops.shape(p)[0])
        return ops.cast(uniform < p, "float32")

    def thresholded(self, images):
        """Binary images as 0/1 floats, thresholded (no random draw).

        Raw integer pixels are 1 from 128 up; floats (e.g. the model's own samples with
        `output="float"`, 0 or 1) are 1 above 0.5.

        Args:
            images: integer pixels (0–255) or floats, [batch, h, w, c] or [batch, h, w] for
                one channel; reshaped to [-1, *image_shape].

        Returns:
            The binary images, float32 0 or 1, [batch, h, w, c].

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> images = np.zeros((1, 28, 28, 1), "uint8")
            >>> images[0, 0, :4, 0] = [0, 127, 128, 255]
            >>> vae.thresholded(images)[0, 0, :4, 0].numpy().tolist()
            [0.0, 0.0, 1.0, 1.0]
            >>> floats = np.full((1, 28, 28, 1), 0.6, "float32")
            >>> float(vae.thresholded(floats).numpy().min())
            1.0
        """
        images = ops.convert_to_tensor(images)
        cut = 0.5 if "float" in str(images.dtype) else 127.5
        return ops.reshape(ops.cast(ops.cast(images, "float32") > cut, "float32"), (-1, *self.image_shape))


def bernoulli_nll(x, logits):
    """−log Bernoulli(x; sigmoid(logits)), elementwise, computed stably from the logits.

    Computed in float32 whatever the logits' dtype: a sum over hundreds of pixels loses
    digits in bfloat16.

    Args:
        x: the binary values, 0 or 1 (floats), broadcastable against `logits`.
        logits: the Bernoulli logits, log(p / (1 − p)).

    Returns:
        The negative log-likelihood of each value in nats, float32, of the broadcast shape.

    Examples:
        >>> import math
        >>> from zoo.models.bernoulli import bernoulli_nll
        >>> round(float(bernoulli_nll(1.0, 0.0)), 4) == round(math.log(2), 4)
        True
        >>> round(float(bernoulli_nll(0.0, 100.0)), 1)  # no overflow for confident logits
        100.0
        >>> bernoulli_nll([0.0, 1.0], [2.0, 2.0]).dtype
        tf.float32
    """
    logits = ops.cast(logits, "float32")
    return ops.maximum(logits, 0) - logits * x + ops.softplus(-ops.abs(logits))
