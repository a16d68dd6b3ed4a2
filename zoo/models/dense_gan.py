"""`dense_gan`: the fully connected GAN of the articles' code listing, trained as the zoo's GANs are."""

import math

import keras
from keras import layers

from zoo.config import at_least, below, check_fields, in_unit_interval, one_of, positive_integers
from zoo.models.image_gan import LOSSES, ImageGAN
from zoo.models.layers import SpectralConv2D, conditioned_input, projected_output
from zoo.models.replicas import batch_norm
from zoo.registry import register_model


def dense_generator(latent_dim, image_shape, units, name="generator", num_classes=0):
    """The fully connected generator: z [batch, latent] → images [batch, h, w, c] in [-1, 1].

    Dense layers of `units` (batch norm, leaky ReLU) and a dense tanh layer of every pixel,
    reshaped to the image: the listing's generator (256, 512, 1024 units for MNIST).

    Args:
        latent_dim: size of the noise vector z.
        image_shape: (height, width, channels) of the images.
        units: units of each hidden dense layer, in order.
        name: the Keras model's name. Default: "generator".
        num_classes: 0 (the default): z alone. More: the network takes [z, labels] and a
            learned embedding of the label joins z at the input.

    Returns:
        keras.Model: z [batch, latent_dim] (and labels [batch], int) → images [batch, h, w,
            c], float32 in [-1, 1].

    Examples:
        >>> generator = dense_generator(8, (28, 28, 1), units=[16, 32])
        >>> generator.input_shape, generator.output_shape
        ((None, 8), (None, 28, 28, 1))
    """
    inputs, x = conditioned_input(keras.Input((latent_dim,), name="z"), num_classes)
    for i, width in enumerate(units):
        x = layers.Dense(width, use_bias=False, name=f"dense_{i}")(x)
        x = batch_norm(name=f"norm_{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"leaky_relu_{i}")(x)
    # float32 under mixed precision: bfloat16 would leave ~2 of every 255 grey levels.
    x = layers.Dense(math.prod(image_shape), activation="tanh", dtype="float32", name="pixels")(x)
    images = layers.Reshape(tuple(image_shape), name="images")(x)
    return keras.Model(inputs, images, name=name)


def dense_discriminator(image_shape, units, spectral_norm=True, num_classes=0):
    """The fully connected discriminator: images in [-1, 1] → one real/fake logit.

    The image's pixels, flattened, through dense layers of `units` (leaky ReLU), then a dense
    logit: the listing's discriminator (512, 256 units). No batch norm: WGAN-GP's penalty is
    per sample.

    Args:
        image_shape: (height, width, channels) of the images.
        units: units of each hidden dense layer, in order.
        spectral_norm: divide every kernel by its largest singular value (Miyato et al. 2018).
            Default: True.
        num_classes: 0 (the default): images alone. More: the network takes [images, labels]
            and is a projection discriminator (`ClassProjection`).

    Returns:
        keras.Model: images [batch, h, w, c] (and labels [batch], int) → logits [batch, 1],
            float32, named "discriminator".

    Examples:
        >>> discriminator = dense_discriminator((28, 28, 1), units=[16, 8])
        >>> discriminator.input_shape, discriminator.output_shape
        ((None, 28, 28, 1), (None, 1))
    """
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Flatten(name="pixels")(images)
    dense = SpectralConv2D if spectral_norm else layers.Dense  # dense on [batch, features]; see SpectralConv2D
    for i, width in enumerate(units):
        x = layers.LeakyReLU(0.2, name=f"leaky_relu_{i}")(dense(width, name=f"dense_{i}")(x))
    logit = dense(1, dtype="float32", name="logit")(x)  # float32 under mixed precision
    return projected_output(images, x, logit, num_classes, spectral_norm, name="discriminator")


@register_model(
    "dense_gan",
    task="image generation (GAN)",
    dataset="mnist",
    recipe="recipes.dense_gan.recipe",
    metric="classifier_score_ratio",
)
class DenseGAN(ImageGAN):
    """Fully connected GAN: the articles' code listing (Dense generator and discriminator), trained properly.

    The listing's networks, with what makes them train: the non-saturating loss with one-sided
    label smoothing, a spectrally normalised discriminator, batch norm in the generator, and
    samples drawn from a moving average of the generator's weights (`ImageGAN`, as `dcgan`).
    The baseline row of the generative comparison: what convolutions (`dcgan`) and LSTMs
    (`lstm_gan_image`) add over dense layers.

    The settings every image GAN has (latent_dim, loss, label_smoothing, gradient_penalty,
    r1_penalty, r1_interval, ema_decay, seed) are documented on `ImageGAN`; the defaults are
    in the signature.

    Args:
        image_shape: (height, width, channels) of the images.
        g_units: units of the generator's hidden dense layers.
        d_units: units of the discriminator's hidden dense layers.
        spectral_norm: divide each of the discriminator's kernels by its largest singular value.
        num_classes: 0: unconditional. More: class-conditional (`ImageGAN`).

    Raises:
        zoo.ConfigError: if a field fails its check (`FIELD_CHECKS`).

    Attributes:
        FIELD_CHECKS: the checks of the constructor's fields (`zoo.config`).

    Examples:
        >>> gan = DenseGAN(latent_dim=8, g_units=[16], d_units=[16])
        >>> gan.sample(4).shape, gan.sample(4).dtype
        (TensorShape([4, 28, 28, 1]), tf.uint8)
    """

    FIELD_CHECKS = dict(latent_dim=at_least(1), g_units=positive_integers, d_units=positive_integers,
                        loss=one_of(*LOSSES), label_smoothing=below(0.5), gradient_penalty=at_least(0),
                        r1_penalty=at_least(0), r1_interval=at_least(1), ema_decay=in_unit_interval,
                        num_classes=at_least(0))

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, g_units=(256, 512, 1024), d_units=(512, 256),
                 loss="non_saturating", label_smoothing=0.0, gradient_penalty=10.0, r1_penalty=0.0, r1_interval=1,
                 ema_decay=0.999, spectral_norm=True, seed=None, num_classes=0, **kwargs):
        check_fields(type(self), locals())
        super().__init__(image_shape, latent_dim, loss, label_smoothing, gradient_penalty, r1_penalty, r1_interval,
                         ema_decay, seed, num_classes=num_classes, **kwargs)
        self.g_units = [int(u) for u in g_units]
        self.d_units = [int(u) for u in d_units]
        self.spectral_norm = bool(spectral_norm)
        self._build_gan(lambda name: dense_generator(latent_dim, self.image_shape, self.g_units, name=name,
                                                     num_classes=self.num_classes),
                        lambda: dense_discriminator(self.image_shape, self.d_units, self.spectral_norm,
                                                    self.num_classes))

    def get_config(self):
        """The constructor's fields, for `from_config` and a `.keras` file.

        Returns:
            dict: `keras.Model`'s config plus every constructor field (`image_shape` and the
                unit lists as lists).
        """
        return {**super().get_config(), **self.gan_config(), "g_units": list(self.g_units),
                "d_units": list(self.d_units), "spectral_norm": self.spectral_norm, "seed": self.seed}
