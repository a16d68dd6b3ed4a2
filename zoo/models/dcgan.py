"""`dcgan`: a deep convolutional GAN for 28×28 images, trained by one `train_step`."""

import keras
from keras import layers

from zoo.models.image_gan import LOSSES, ImageGAN
from zoo.models.layers import SpectralConv2D, conditioned_input, projected_output
from zoo.models.replicas import batch_norm
from zoo.config import at_least, below, check_fields, in_unit_interval, one_of, with_defaults
from zoo.registry import register_model


def dcgan_generator(latent_dim, image_shape, width, name="generator", num_classes=0):
    """The DCGAN generator: z [batch, latent] → images [batch, h, w, c] in [-1, 1] (tanh).

    A dense layer to a (h/4)×(w/4) map of 2 × `width` channels, then two transposed
    convolutions with 4×4 kernels at stride 2 (no checkerboard: the kernel is a multiple of
    the stride), batch norm and ReLU, and a 3×3 convolution to the image's channels. The
    widest layer is at the smallest resolution, where it is cheapest.

    Args:
        latent_dim: size of the noise vector z.
        image_shape: (height, width, channels) of the images; height and width divisible by
            4 (not checked here: `DCGAN` checks it).
        width: filters of the first transposed convolution (the second has half as many; the
            dense layer's map twice as many).
        name: the Keras model's name. Default: "generator".
        num_classes: 0 (the default): z alone. More: the network takes [z, labels] and a
            learned embedding of the label (`latent_dim` wide) joins z at the input.

    Returns:
        keras.Model: z [batch, latent_dim] (and labels [batch], int) → images [batch, h, w,
            c], float32 in [-1, 1].

    Examples:
        >>> generator = dcgan_generator(8, (28, 28, 1), width=8)
        >>> generator.input_shape, generator.output_shape
        ((None, 8), (None, 28, 28, 1))
    """
    height, breadth, channels = image_shape
    inputs, x = conditioned_input(keras.Input((latent_dim,), name="z"), num_classes)
    x = layers.Dense((height // 4) * (breadth // 4) * 2 * width, use_bias=False)(x)
    x = batch_norm()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((height // 4, breadth // 4, 2 * width))(x)
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False)(x)
    x = batch_norm()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(width // 2, 4, strides=2, padding="same", use_bias=False)(x)
    x = batch_norm()(x)
    x = layers.ReLU()(x)
    # float32 under mixed precision: bfloat16 would leave ~2 of every 255 grey levels.
    images = layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name=name)


def dcgan_discriminator(image_shape, width, spectral_norm=True, num_classes=0):
    """The DCGAN discriminator: images in [-1, 1] → one real/fake logit.

    Three strided 4×4 convolutions (`width`, 2 × `width`, 4 × `width` filters) with leaky
    ReLUs, then a dense logit: with two convolutions, samples stalled at a lower classifier
    score (a weak discriminator passes strokes that no digit has). No batch norm: WGAN-GP's
    penalty is per sample.

    Args:
        image_shape: (height, width, channels) of the images.
        width: filters of the first convolution.
        spectral_norm: divide every kernel by its largest singular value, which bounds how
            fast D can change (Miyato et al. 2018). Default: True.
        num_classes: 0 (the default): images alone. More: the network takes [images, labels]
            and is a projection discriminator (`ClassProjection`): the logit plus the inner
            product of the features with the label's embedding.

    Returns:
        keras.Model: images [batch, h, w, c] (and labels [batch], int) → logits [batch, 1],
            float32, named "discriminator".

    Examples:
        >>> discriminator = dcgan_discriminator((28, 28, 1), width=8)
        >>> discriminator.input_shape, discriminator.output_shape
        ((None, 28, 28, 1), (None, 1))
    """
    images = keras.Input(image_shape, name="images")
    x = images
    conv = (lambda filters: SpectralConv2D(filters, 4, strides=2)) if spectral_norm else (
        lambda filters: layers.Conv2D(filters, 4, strides=2, padding="same"))
    for filters in (width, 2 * width, 4 * width):
        x = layers.LeakyReLU(0.2)(conv(filters)(x))
    x = layers.Flatten()(x)
    dense = SpectralConv2D if spectral_norm else layers.Dense  # dense on [batch, features]; see SpectralConv2D
    logit = dense(1, dtype="float32", name="logit")(x)  # float32 under mixed precision
    return projected_output(images, x, logit, num_classes, spectral_norm, name="discriminator")


@register_model(
    "dcgan",
    task="image generation (GAN)",
    dataset="mnist",
    recipe="recipes.dcgan.recipe",
    metric="classifier_score_ratio",
)
class DCGAN(ImageGAN):
    """Deep convolutional GAN: a generator and a discriminator trained against each other.

    `generate(z)` gives uint8 images, `sample(n)` too from z it draws itself (`output="float"`:
    the pixels in [0, 1], which `call(z)` returns). Each `train_step` updates the
    discriminator, then the generator, with their own optimizers. Images are drawn
    from an exponential moving average of the generator's weights (`ema_generator`), which
    smooths out the generator's oscillation around the discriminator (as in ProGAN, BigGAN).

    The settings every image GAN has (latent_dim, loss, label_smoothing, gradient_penalty,
    r1_penalty, r1_interval, ema_decay, seed) are documented on `ImageGAN`; the defaults are
    in the signature.

    Args:
        image_shape: (height, width, channels) of the images; sides divisible by 4.
        width: filters of the discriminator's first convolution (the networks scale with it).
        generator_width: filters of the generator's last transposed convolution (its widest
            layer has twice as many; 0: `width`).
        label_smoothing: one-sided: real labels become 1 − this for the discriminator, which
            keeps it from growing over-confident early (non-saturating loss only).
        spectral_norm: divide each of the discriminator's kernels by its largest singular value.
        num_classes: 0: unconditional. More: class-conditional (`ImageGAN`): the generator
            takes a label embedding beside z, the discriminator projects on the label.

    Raises:
        zoo.ConfigError: if a field fails its check (`FIELD_CHECKS`: sizes at least 1,
            label_smoothing in [0, 0.5), ema_decay in [0, 1), a known loss).
        zoo.ConfigError: (a ValueError) if `image_shape` is not (height, width, channels) with height and width
            divisible by 4.

    Attributes:
        FIELD_CHECKS: the checks of the constructor's fields (`zoo.config`).
        SIDE_MULTIPLE: 4: the generator's two stride-2 upsamplings.

    Examples:
        >>> gan = DCGAN(latent_dim=16, width=8)
        >>> gan.sample(4).shape, gan.sample(4).dtype
        (TensorShape([4, 28, 28, 1]), tf.uint8)
        >>> DCGAN(image_shape=(30, 30, 1))
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: image_shape must be (height, width, channels) ... divisible by 4, got ...
    """

    FIELD_CHECKS = dict(latent_dim=at_least(1), width=at_least(1), generator_width=at_least(0), loss=one_of(*LOSSES),
                        label_smoothing=below(0.5), gradient_penalty=at_least(0), r1_penalty=at_least(0),
                        r1_interval=at_least(1), ema_decay=in_unit_interval, num_classes=at_least(0))
    SIDE_MULTIPLE = 4  # two stride-2 upsamplings

    def __init__(self, image_shape=(28, 28, 1), latent_dim=64, width=64, loss="non_saturating",
                 label_smoothing=0.0, gradient_penalty=10.0, r1_penalty=0.0, r1_interval=1, ema_decay=0.999,
                 spectral_norm=True, generator_width=0, seed=None, num_classes=0, **kwargs):
        check_fields(type(self), locals())
        super().__init__(image_shape, latent_dim, loss, label_smoothing, gradient_penalty, r1_penalty, r1_interval,
                         ema_decay, seed, num_classes=num_classes, **kwargs)
        self.width = width
        self.generator_width = int(generator_width)
        self.spectral_norm = bool(spectral_norm)
        self._build_gan(lambda name: dcgan_generator(latent_dim, self.image_shape, self.generator_width or width,
                                                        name=name, num_classes=self.num_classes),
                        lambda: dcgan_discriminator(self.image_shape, width, self.spectral_norm, self.num_classes))

    def get_config(self):
        """The constructor's fields, for `from_config` and a `.keras` file.

        Returns:
            dict: `keras.Model`'s config plus every constructor field (`image_shape` as a
                list).
        """
        return {**super().get_config(), **self.gan_config(), "width": self.width,
                "generator_width": self.generator_width, "spectral_norm": self.spectral_norm,
                "seed": self.seed}


@register_model(
    "dcgan_conditional",
    task="image generation (class-conditional GAN)",
    dataset="mnist",
    recipe="recipes.dcgan_conditional.recipe",
    metric="conditional_accuracy_conv",
)
@with_defaults(num_classes=10)
class ConditionalDCGAN(DCGAN):
    """`dcgan` conditioned on the class: draws the digit it is asked for (`sample(n, labels=7)`).

    The same networks and training as `DCGAN` with `num_classes=10`: a learned embedding of
    the label joins z at the generator's input, and the discriminator is a projection
    discriminator (Miyato & Koyama 2018). A registered variant rather than a flag of `dcgan`,
    so that each set of shipped weights has its own name, card and page.

    Examples:
        >>> gan = ConditionalDCGAN(latent_dim=8, width=8)
        >>> gan.num_classes, gan.sample(3, labels=[7, 7, 1]).shape
        (10, TensorShape([3, 28, 28, 1]))
    """
