"""`dcgan`: a deep convolutional GAN for 28×28 images, trained by one `train_step`."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.models.base import ZooModel
from zoo.registry import register_model

LOSSES = ("non_saturating", "wgan_gp")


def dcgan_generator(latent_dim, image_shape, width):
    """z [batch, latent] → images [batch, h, w, c] in [-1, 1] (tanh); h and w divisible by 4."""
    height, breadth, channels = image_shape
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense((height // 4) * (breadth // 4) * 4 * width, use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((height // 4, breadth // 4, 4 * width))(x)
    x = layers.Conv2DTranspose(2 * width, 5, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    images = layers.Conv2D(channels, 5, padding="same", activation="tanh", name="images")(x)
    return keras.Model(z, images, name="generator")


def dcgan_discriminator(image_shape, width):
    """images in [-1, 1] → one real/fake logit. No batch norm: WGAN-GP's penalty is per sample."""
    images = keras.Input(image_shape, name="images")
    x = layers.Conv2D(width, 5, strides=2, padding="same")(images)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(2 * width, 5, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(images, logit, name="discriminator")


@keras.saving.register_keras_serializable(package="zoo")
@register_model(
    "dcgan",
    task="image generation (GAN)",
    dataset="mnist",
    recipe="recipes.dcgan.recipe",
    metric="classifier_score_ratio",
)
class DCGAN(ZooModel):
    """Deep convolutional GAN: a generator and a discriminator trained against each other.

    `call(z)` generates images in [0, 1]; `sample(n)` draws z itself. Each `train_step`
    updates the discriminator, then the generator, with their own optimizers.

    Example:

    >>> gan = DCGAN(latent_dim=16, width=8)
    >>> gan.sample(4).shape
    TensorShape([4, 28, 28, 1])

    Args:
        image_shape: (height, width, channels) of the images; sides divisible by 4.
        latent_dim: size of the noise vector z.
        width: filters of the discriminator's first convolution (the networks scale with it).
        loss: "non_saturating" (the standard GAN loss with −log D(G(z)) for the generator) or
            "wgan_gp" (Wasserstein loss with a gradient penalty).
        label_smoothing: one-sided: real labels become 1 − this for the discriminator, which
            keeps it from growing over-confident early (non-saturating loss only).
        gradient_penalty: weight of WGAN-GP's penalty.
        seed: seed of the noise draws (None: Keras' global seed).
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=64, width=64, loss="non_saturating",
                 label_smoothing=0.0, gradient_penalty=10.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = self.image_shape_of(image_shape, divisible_by=4)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}.")
        self.latent_dim = latent_dim
        self.width = width
        self.loss = loss
        self.label_smoothing = label_smoothing
        self.gradient_penalty = gradient_penalty
        self.seed = seed
        self.generator = dcgan_generator(latent_dim, self.image_shape, width)
        self.discriminator = dcgan_discriminator(self.image_shape, width)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_accuracy = keras.metrics.BinaryAccuracy(name="d_real_accuracy", threshold=0.0)
        self.fake_accuracy = keras.metrics.BinaryAccuracy(name="d_fake_accuracy", threshold=0.0)
        self.build((None, latent_dim))

    def build(self, input_shape):
        pass  # both functional sub-networks are built at construction

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "latent_dim": self.latent_dim,
            "width": self.width,
            "loss": self.loss,
            "label_smoothing": self.label_smoothing,
            "gradient_penalty": self.gradient_penalty,
            "seed": self.seed,
        }

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Two optimizers; both default to Adam(2e-4, β1 = 0.5) as in the DCGAN paper
        (WGAN-GP: Adam(1e-4, β1 = 0.5, β2 = 0.9), as in its paper)."""
        adam = dict(learning_rate=1e-4, beta_1=0.5, beta_2=0.9) if self.loss == "wgan_gp" else dict(learning_rate=2e-4, beta_1=0.5)
        self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer is not None else keras.optimizers.Adam(**adam)
        self.g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer is not None else keras.optimizers.Adam(**adam)
        self._record_compile_args(d_optimizer=self.d_optimizer, g_optimizer=self.g_optimizer)
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def build_optimizers(self):
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.real_accuracy, self.fake_accuracy]

    def call(self, z, training=False):
        """Latent vectors [batch, latent_dim] → images [batch, h, w, c] in [0, 1]."""
        return (self.generator(z, training=training) + 1.0) / 2.0

    def sample(self, n, seed=None):
        """`n` generated images in [0, 1] from fresh noise."""
        return self(self._noise(n, seed))

    def _noise(self, n, seed=None):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator if seed is None else seed)

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        real = ops.cast(images, "float32") / 127.5 - 1.0
        real = ops.reshape(real, (-1, *self.image_shape))
        batch = ops.shape(real)[0]
        with tf.GradientTape() as tape:
            fake = self.generator(self._noise(batch), training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = self._d_loss(real, fake, real_logits, fake_logits)
        grads = tape.gradient(self.per_replica(d_loss), self.discriminator.trainable_variables)
        self.d_optimizer.apply(grads, self.discriminator.trainable_variables)

        with tf.GradientTape() as tape:
            fake_logits_for_g = self.discriminator(self.generator(self._noise(batch), training=True), training=True)
            if self.loss == "wgan_gp":
                g_loss = -ops.mean(fake_logits_for_g)
            else:  # non-saturating: maximise log D(G(z)) rather than minimise log(1 − D(G(z)))
                g_loss = ops.mean(keras.losses.binary_crossentropy(
                    ops.ones_like(fake_logits_for_g), fake_logits_for_g, from_logits=True))
        grads = tape.gradient(self.per_replica(g_loss), self.generator.trainable_variables)
        self.g_optimizer.apply(grads, self.generator.trainable_variables)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_accuracy.update_state(ops.ones_like(real_logits), real_logits)
        self.fake_accuracy.update_state(ops.zeros_like(fake_logits), fake_logits)
        return {m.name: m.result() for m in self.metrics}

    def _d_loss(self, real, fake, real_logits, fake_logits):
        if self.loss == "wgan_gp":
            mix = keras.random.uniform((ops.shape(real)[0], 1, 1, 1), seed=self.seed_generator)
            between = mix * real + (1 - mix) * fake
            with tf.GradientTape() as inner:
                inner.watch(between)
                between_logits = self.discriminator(between, training=True)
            slopes = ops.sqrt(ops.sum(ops.square(inner.gradient(between_logits, between)), axis=(1, 2, 3)) + 1e-12)
            return ops.mean(fake_logits) - ops.mean(real_logits) + self.gradient_penalty * ops.mean(ops.square(slopes - 1))
        real_labels = ops.ones_like(real_logits) * (1.0 - self.label_smoothing)
        return ops.mean(keras.losses.binary_crossentropy(real_labels, real_logits, from_logits=True)) + ops.mean(
            keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True))

    def serving_signatures(self):
        latent_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="latent")
        count_spec = tf.TensorSpec((), tf.int32, name="num_images")
        seed_spec = tf.TensorSpec((), tf.int32, name="seed")

        def generate(latent):
            return {"images": self(self.checked(latent, latent_spec))}

        def sample(num_images, seed):
            num_images, seed = self.checked(num_images, count_spec), self.checked(seed, seed_spec)
            tf.debugging.assert_positive(num_images, message="num_images must be at least 1")
            z = tf.random.stateless_normal(tf.stack([num_images, self.latent_dim]), seed=tf.stack([seed, 0]))
            pixels = tf.round(self(z) * 255.0)
            return {"images": tf.cast(pixels, tf.uint8)}

        return {"serving_default": (generate, [latent_spec]), "sample": (sample, [count_spec, seed_spec])}
