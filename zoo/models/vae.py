"""`vae`: a convolutional variational autoencoder with a Bernoulli likelihood."""

import math

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.models.bernoulli import BinaryImageModel, bernoulli_nll
from zoo.config import at_least, check, check_fields
from zoo.registry import register_model

LOG_2PI = math.log(2 * math.pi)


def conv_encoder(image_shape, latent_dim, width):
    """The VAE's encoder: pixels → (mean, log-variance) of q(z|x).

    Two stride-2 convolutions (`width`, 2 × `width` filters), a dense layer of 8 × `width`
    units, then two dense heads.

    Args:
        image_shape: (height, width, channels) of the images.
        latent_dim: size of z.
        width: filters of the first convolution.

    Returns:
        A `keras.Model`: pixels [batch, h, w, c] in [0, 1] → [mean, log_variance], each
        [batch, latent_dim].

    Examples:
        >>> from zoo.models.vae import conv_encoder
        >>> encoder = conv_encoder((28, 28, 1), latent_dim=2, width=4)
        >>> [tuple(output.shape) for output in encoder.outputs]
        [(None, 2), (None, 2)]
    """
    pixels = keras.Input(image_shape, name="pixels")
    x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(pixels)
    x = layers.Conv2D(2 * width, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(8 * width, activation="relu")(x)
    mean = layers.Dense(latent_dim, name="mean")(x)
    log_variance = layers.Dense(latent_dim, name="log_variance")(x)
    return keras.Model(pixels, [mean, log_variance], name="encoder")


def conv_decoder(image_shape, latent_dim, width):
    """The VAE's decoder: latent vectors → Bernoulli logits of each pixel.

    Two dense layers, then two stride-2 transposed convolutions (`width`, `width` // 2
    filters) and a convolution to the image's channels.

    Args:
        image_shape: (height, width, channels) of the images; height and width divisible
            by 4.
        latent_dim: size of z.
        width: filters of the first transposed convolution (at least 2).

    Returns:
        A `keras.Model`: z [batch, latent_dim] → logits [batch, h, w, c].

    Examples:
        >>> from zoo.models.vae import conv_decoder
        >>> conv_decoder((28, 28, 1), latent_dim=2, width=4).output.shape
        (None, 28, 28, 1)
    """
    height, breadth, channels = image_shape
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(8 * width, activation="relu")(z)
    x = layers.Dense((height // 4) * (breadth // 4) * width, activation="relu")(x)
    x = layers.Reshape((height // 4, breadth // 4, width))(x)
    x = layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(width // 2, 3, strides=2, padding="same", activation="relu")(x)
    logits = layers.Conv2D(channels, 3, padding="same", name="pixel_logits")(x)
    return keras.Model(z, logits, name="decoder")


@register_model(
    "vae",
    task="image generation (variational autoencoder)",
    dataset="mnist",
    recipe="recipes.vae.recipe",
    metric="test_nll",
)
class VAE(BinaryImageModel):
    """Variational autoencoder: conv encoder, reparameterised sampling, conv decoder, ELBO.

    Pixels are Bernoulli variables: during training each image is binarised afresh with
    p = pixel / 255 (dynamic binarisation), and the loss is the negative ELBO in nats per
    image, tracked as `loss`, `reconstruction` and `kl`. Images go in as raw pixels (0–255)
    and come out as uint8 images of the decoded pixel means, or with `output="float"` the
    means themselves. Its NLL (`importance_sampled_nll`) is the IWAE bound.

    Args:
        image_shape: (height, width, channels); height and width divisible by 4.
        latent_dim: size of z (2 gives a plottable manifold).
        width: filters of the first convolution (the others are multiples of it).
        seed: seed of the binarisation and sampling draws (None: Keras' global seed).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
        zoo.ConfigError: `latent_dim` is below 1 or `width` below 2 (the decoder's last
            transposed convolution has `width // 2` filters).
        zoo.ConfigError: (a ValueError) `image_shape` is not (height, width, channels) with height and width
            divisible by 4.

    Examples:
        >>> import numpy as np, zoo
        >>> vae = zoo.load("vae", latent_dim=2)
        >>> images = np.zeros((4, 28, 28, 1), "uint8")
        >>> vae.reconstruct(images).shape, vae.sample(3).dtype, vae.sample(3, output="float").dtype
        (TensorShape([4, 28, 28, 1]), tf.uint8, tf.float32)
    """

    likelihood = "IWAE bound"  # what its NLL is (`zoo evaluate` / benchmarks.generative)
    sample_pixels = "means"  # `sample` gives Bernoulli means (rounded, unless output="float"), not binary draws

    FIELD_CHECKS = dict(latent_dim=at_least(1), width=at_least(2))  # the decoder halves width

    def __init__(self, image_shape=(28, 28, 1), latent_dim=32, width=32, seed=None, **kwargs):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.image_shape = self.image_shape_of(image_shape, divisible_by=4)
        self.latent_dim = latent_dim
        self.width = width
        self.seed = seed
        self.encoder = conv_encoder(self.image_shape, latent_dim, width)
        self.decoder = conv_decoder(self.image_shape, latent_dim, width)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.build((None, *self.image_shape))

    def build(self, input_shape):
        """Does nothing: both functional sub-networks are built at construction.

        Args:
            input_shape: unused.
        """
        pass  # both functional sub-networks are built at construction

    def get_config(self):
        """The constructor fields, for a `.keras` round trip.

        Returns:
            A dict: `keras.Model`'s config plus every constructor field (`image_shape` as a list).
        """
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "latent_dim": self.latent_dim,
            "width": self.width,
            "seed": self.seed,
        }

    def compile(self, optimizer="adam", **kwargs):
        """Keras' compile with Adam as the default; the loss is the model's own (negative ELBO).

        Args:
            optimizer: a Keras optimizer or its name; default "adam".
            **kwargs: further `keras.Model.compile` arguments (e.g. `jit_compile`); a `loss` goes
                unused: the model computes its own.
        """
        super().compile(optimizer=optimizer, **kwargs)

    @property
    def metrics(self):
        """The metrics Keras resets each epoch: `loss`, `reconstruction` and `kl`, in nats.

        Returns:
            A list: the three `keras.metrics.Mean` trackers.
        """
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    # --- the public methods: raw uint8 pixels in, uint8 images (or probabilities) out ---------
    def call(self, images, training=False):
        """Raw pixels → the reconstructions' pixel probabilities.

        What `predict` and the export's `probabilities` give: `reconstruct(images,
        output="float")`.

        Args:
            images: raw pixels [batch, h, w, c] (or [batch, h, w] for one channel).
            training: unused: the reconstruction decodes the posterior mean either way.

        Returns:
            The pixel probabilities, float32 in [0, 1], [batch, h, w, c].
        """
        return self.reconstruct(images, output="float")

    def encode(self, images):
        """Raw pixels → (mean, log-variance) of the posterior q(z|x).

        Args:
            images: raw pixels (0–255) [batch, h, w, c] (or [batch, h, w] for one channel).

        Returns:
            (mean, log_variance), each float32 [batch, latent_dim].

        Raises:
            ValueError: `images` is not a numeric array of shape [batch, *image_shape].

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> mean, log_variance = vae.encode(np.zeros((3, 28, 28), "uint8"))
            >>> mean.shape, log_variance.shape, mean.dtype
            (TensorShape([3, 2]), TensorShape([3, 2]), tf.float32)
        """
        return self.encoder(self._pixels(self.expect_images(images, (None, *self.image_shape), "images")))

    def decode(self, z, output="uint8"):
        """Latent vectors → images of the decoded pixel means.

        Args:
            z: latent vectors [batch, latent_dim].
            output: "uint8" (default) for images round(255 · p), "float" for the pixel
                probabilities p in [0, 1].

        Returns:
            Images [batch, h, w, c]: uint8, or float32 in [0, 1].

        Raises:
            ValueError: `output` is not "uint8" or "float", or `z` is not of shape
                [batch, latent_dim].

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> images = vae.decode(np.zeros((5, 2), "float32"))
            >>> images.shape, images.dtype
            (TensorShape([5, 28, 28, 1]), tf.uint8)
            >>> probabilities = vae.decode(np.zeros((5, 2), "float32"), output="float")
            >>> bool(0 <= probabilities.numpy().min() <= probabilities.numpy().max() <= 1)
            True
        """
        self.checked_output(output)
        logits = self.decoder(self.expect_shape(z, (None, self.latent_dim), "latent vectors"))
        return self.as_output(ops.sigmoid(logits), output)

    def reconstruct(self, images, output="uint8"):
        """Decodes the posterior mean of each image.

        Args:
            images: raw pixels (0–255) [batch, h, w, c] (or [batch, h, w] for one channel).
            output: "uint8" (default) for images, "float" for the pixel probabilities in [0, 1].

        Returns:
            The reconstructions [batch, h, w, c]: uint8, or float32 in [0, 1].

        Raises:
            ValueError: `output` is not "uint8" or "float", or `images` is not of shape
                [batch, *image_shape].

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> vae.reconstruct(np.zeros((2, 28, 28, 1), "uint8"), output="float").shape
            TensorShape([2, 28, 28, 1])
        """
        self.checked_output(output)
        return self.decode(self.encode(images)[0], output)

    def sample(self, n, seed=None, output="uint8"):
        """Draws `n` new images: z ~ N(0, I), decoded to pixel means.

        The pixels are Bernoulli means (rounded to uint8 unless `output="float"`), not binary
        draws.

        Args:
            n: how many images.
            seed: an int for reproducible draws (the same seed, the same images); None (the
                default) draws from the model's own seed generator, which advances.
            output: "uint8" (default) for images, "float" for the means in [0, 1].

        Returns:
            Images [n, h, w, c]: uint8, or float32 in [0, 1].

        Raises:
            ValueError: `output` is not "uint8" or "float".

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> images = vae.sample(4, seed=0)
            >>> images.shape, images.dtype, bool(np.array_equal(images, vae.sample(4, seed=0)))
            (TensorShape([4, 28, 28, 1]), tf.uint8, True)
        """
        self.checked_output(output)
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator if seed is None else seed)
        return self.decode(z, output)

    # --- training ----------------------------------------------------------------------
    def negative_elbo_terms(self, x):
        """The two terms of each image's negative ELBO, in nats: the training loss is their sum.

        One reparameterised draw z ~ q(z|x) per image (from the model's seed generator).

        Args:
            x: binary images [batch, h, w, c], floats 0 or 1 (as `binarize` gives them).

        Returns:
            (reconstruction, kl), each float32 [batch]: −log p(x|z) and KL(q(z|x) ‖ N(0, I)).

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> x = vae.binarize(np.zeros((3, 28, 28, 1), "uint8"))
            >>> reconstruction, kl = vae.negative_elbo_terms(x)
            >>> reconstruction.shape, kl.shape, bool(np.all(kl.numpy() >= 0))
            (TensorShape([3]), TensorShape([3]), True)
        """
        mean, log_variance = self.encoder(x)
        noise = self.replica_rows(lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator),
                                  ops.shape(mean)[0])
        z = mean + ops.exp(0.5 * log_variance) * noise  # reparameterised: gradients reach the encoder
        logits = self.decoder(z)
        reconstruction = ops.sum(bernoulli_nll(x, logits), axis=(1, 2, 3))
        kl = -0.5 * ops.sum(1 + log_variance - ops.square(mean) - ops.exp(log_variance), axis=1)
        return reconstruction, kl

    def train_step(self, data):
        """One optimizer step on the mean negative ELBO of freshly binarised images.

        Args:
            data: a batch of raw images [batch, h, w, c], or an (images, labels) tuple whose
                labels are ignored.

        Returns:
            A dict: the logs, {"loss", "reconstruction", "kl"}: means in nats per image so far
            this epoch.
        """
        images = data[0] if isinstance(data, (tuple, list)) else data
        x = self.binarize(images)
        with tf.GradientTape() as tape:
            reconstruction, kl = self.negative_elbo_terms(x)
            loss = ops.mean(reconstruction + kl)
            scaled = self.optimizer.scale_loss(self.per_replica(loss))
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.apply_gradients(self.optimizer, gradients, self.trainable_variables)
        return self._track(loss, reconstruction, kl)

    def test_step(self, data):
        """Tracks the negative ELBO of the batch, binarised with the model's generator.

        Args:
            data: a batch of raw images [batch, h, w, c], or an (images, labels) tuple whose
                labels are ignored.

        Returns:
            A dict: the logs, {"loss", "reconstruction", "kl"}: means in nats per image.
        """
        images = data[0] if isinstance(data, (tuple, list)) else data
        reconstruction, kl = self.negative_elbo_terms(self.binarize(images))
        return self._track(ops.mean(reconstruction + kl), reconstruction, kl)

    def _track(self, loss, reconstruction, kl):
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(ops.mean(reconstruction))
        self.kl_tracker.update_state(ops.mean(kl))
        return self.step_logs()

    def importance_sampled_nll(self, binary_images, samples=1000, chunk=100):
        """−log p(x) per image, estimated by importance sampling (the IWAE bound).

        With k = `samples` draws z_i from q(z|x) (Burda et al. 2016):
        −log (1/k) Σ p(x|z_i) p(z_i) / q(z_i|x), an upper bound on the NLL that tightens as k
        grows. The draws come from the model's seed generator.

        Args:
            binary_images: binary images [batch, h, w, c] (or [batch, h, w]): raw {0, 255}
                pixels (≥ 128 is 1) or 0/1 floats.
            samples: k, the importance samples per image (at least 1); default 1000.
            chunk: samples decoded at a time (at least 1; memory grows with chunk × batch);
                default 100.

        Returns:
            The estimated NLL of each image in nats, float32 [batch].

        Raises:
            zoo.ConfigError: `samples` or `chunk` is below 1.

        Examples:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae", latent_dim=2)
            >>> images = np.zeros((3, 28, 28, 1), "uint8")
            >>> nll = vae.importance_sampled_nll(images, samples=10, chunk=5)
            >>> nll.shape, nll.dtype, bool(np.all(nll.numpy() > 0))
            (TensorShape([3]), tf.float32, True)
        """
        check("samples", samples, at_least(1))
        check("chunk", chunk, at_least(1))
        x = self.thresholded(binary_images)
        mean, log_variance = self.encoder(x)
        batch = ops.shape(x)[0]
        log_weights = []
        for start in range(0, samples, chunk):
            k = min(chunk, samples - start)
            noise = keras.random.normal((k, batch, self.latent_dim), seed=self.seed_generator)
            z = mean[None] + ops.exp(0.5 * log_variance)[None] * noise
            logits = self.decoder(ops.reshape(z, (-1, self.latent_dim)))
            logits = ops.reshape(logits, (k, batch, *self.image_shape))
            log_px_z = -ops.sum(bernoulli_nll(x[None], logits), axis=(2, 3, 4))
            log_pz = -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=2)
            log_qz_x = -0.5 * ops.sum(ops.square(noise) + log_variance[None] + LOG_2PI, axis=2)
            log_weights.append(log_px_z + log_pz - log_qz_x)
        log_weights = ops.concatenate(log_weights, axis=0)
        return -(ops.logsumexp(log_weights, axis=0) - math.log(samples))

    def serving_signatures(self):
        """The endpoints `zoo.export` writes: `serving_default` (reconstruct), `encode`, `decode`.

        `serving_default` takes uint8 `images` and gives the uint8 `reconstruction` and its
        `probabilities`; `encode` gives `mean` and `log_variance`; `decode` takes `latent`
        [batch, latent_dim] and gives uint8 `images` and their `probabilities`.

        Returns:
            A dict: {endpoint name: (function, [tf.TensorSpec, ...])}, `serving_default` first.
        """
        image_spec = tf.TensorSpec((None, *self.image_shape), tf.uint8, name="images")
        latent_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="latent")

        # uint8 images as everywhere else, and beside them the probabilities they round: a
        # VAE's decoded pixels are Bernoulli means, a measure of their own.
        def decoded(z, name):
            probabilities = self.decode(z, output="float")
            return {name: self.as_output(probabilities, "uint8"), "probabilities": probabilities}

        def reconstruct(images):  # not "images" out: ONNX refuses an output named as an input
            return decoded(self.encode(self.checked(images, image_spec))[0], "reconstruction")

        def encode(images):
            mean, log_variance = self.encode(self.checked(images, image_spec))
            return {"mean": mean, "log_variance": log_variance}

        def decode(latent):
            return decoded(self.checked(latent, latent_spec), "images")

        return {
            "serving_default": (reconstruct, [image_spec]),
            "encode": (encode, [image_spec]),
            "decode": (decode, [latent_spec]),
        }
