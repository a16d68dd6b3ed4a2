"""`dcgan`: a deep convolutional GAN for 28×28 images, trained by one `train_step`."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.models.base import ZooModel
from zoo.models.replicas import batch_norm
from zoo.config import at_least, below, check_fields, in_unit_interval, one_of
from zoo.registry import register_model

LOSSES = ("non_saturating", "wgan_gp")


def dcgan_generator(latent_dim, image_shape, width, name="generator"):
    """z [batch, latent] → images [batch, h, w, c] in [-1, 1] (tanh); h and w divisible by 4.

    4×4 kernels at stride 2 (no checkerboard: the kernel is a multiple of the stride) and the
    widest layer at the smallest resolution, where it is cheapest."""
    height, breadth, channels = image_shape
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense((height // 4) * (breadth // 4) * 2 * width, use_bias=False)(z)
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
    return keras.Model(z, images, name=name)


@keras.saving.register_keras_serializable(package="zoo")
class SpectralConv2D(layers.Layer):
    """A convolution (or, on [batch, features], a dense layer) whose kernel is divided by its
    largest singular value σ (Miyato et al. 2018, "Spectral normalization for GANs").

    σ is estimated by one power iteration per training call, on a vector `u` that persists
    across steps; the gradient flows through σ (the paper's reparameterisation), with `u` and
    `v` held constant."""

    def __init__(self, filters, kernel_size=1, strides=1, **kwargs):
        kwargs.setdefault("autocast", False)  # σ in float32 under mixed precision; cast below
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides

    def build(self, input_shape):
        spatial = (self.kernel_size,) * (len(input_shape) - 2)
        self.kernel = self.add_weight(shape=(*spatial, input_shape[-1], self.filters),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        self.u = self.add_weight(shape=(1, self.filters), initializer=keras.initializers.RandomNormal(seed=0),
                                 trainable=False, name="u")

    def call(self, inputs, training=False):
        matrix = ops.reshape(self.kernel, (-1, self.filters))  # float32 variable
        u = self.u.value
        v = ops.stop_gradient(_unit(ops.matmul(u, ops.transpose(matrix))))
        projected = ops.matmul(v, matrix)  # one product serves u's update and σ = v·W·u
        u = ops.stop_gradient(_unit(projected))
        if training:
            self.u.assign(u)
        sigma = ops.sum(projected * u)
        kernel = ops.cast(self.kernel / sigma, self.compute_dtype)
        inputs = ops.cast(inputs, self.compute_dtype)
        if len(inputs.shape) == 2:
            outputs = ops.matmul(inputs, kernel)
        else:
            outputs = ops.conv(inputs, kernel, strides=self.strides, padding="same")
        return outputs + ops.cast(self.bias, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides}


def _unit(x):
    return x / (ops.sqrt(ops.sum(ops.square(x))) + 1e-12)


def dcgan_discriminator(image_shape, width, spectral_norm=True):
    """images in [-1, 1] → one real/fake logit. No batch norm: WGAN-GP's penalty is per sample.

    Three strided convolutions: with two, samples stalled at a lower classifier score (a weak
    discriminator passes strokes that no digit has). `spectral_norm` divides every kernel by
    its largest singular value, which bounds how fast D can change (Miyato et al. 2018)."""
    images = keras.Input(image_shape, name="images")
    x = images
    conv = (lambda filters: SpectralConv2D(filters, 4, strides=2)) if spectral_norm else (
        lambda filters: layers.Conv2D(filters, 4, strides=2, padding="same"))
    for filters in (width, 2 * width, 4 * width):
        x = layers.LeakyReLU(0.2)(conv(filters)(x))
    x = layers.Flatten()(x)
    dense = SpectralConv2D if spectral_norm else layers.Dense  # a 1 × 1 SpectralConv2D is dense
    logit = dense(1, dtype="float32", name="logit")(x)  # float32 under mixed precision
    return keras.Model(images, logit, name="discriminator")


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
    updates the discriminator, then the generator, with their own optimizers. Images are drawn
    from an exponential moving average of the generator's weights (`ema_generator`), which
    smooths out the generator's oscillation around the discriminator (as in ProGAN, BigGAN).

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
        ema_decay: decay of the moving average of the generator's weights that `call` samples
            from (0: sample from the trained generator itself).
        spectral_norm: divide each of the discriminator's kernels by its largest singular value.
        seed: seed of the noise draws (None: Keras' global seed).
    """

    FIELD_CHECKS = dict(latent_dim=at_least(1), width=at_least(1), loss=one_of(*LOSSES), label_smoothing=below(0.5),
                        gradient_penalty=at_least(0), ema_decay=in_unit_interval)
    MAX_SAMPLES = 10_000  # most images one request to the exported `sample` signature may ask for

    def __init__(self, image_shape=(28, 28, 1), latent_dim=64, width=64, loss="non_saturating",
                 label_smoothing=0.0, gradient_penalty=10.0, ema_decay=0.999, spectral_norm=True, seed=None,
                 **kwargs):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.image_shape = self.image_shape_of(image_shape, divisible_by=4)
        self.latent_dim = latent_dim
        self.width = width
        self.loss = loss
        self.label_smoothing = label_smoothing
        self.gradient_penalty = gradient_penalty
        self.ema_decay = ema_decay
        self.seed = seed
        self.generator = dcgan_generator(latent_dim, self.image_shape, width)
        self.ema_generator = dcgan_generator(latent_dim, self.image_shape, width, name="ema_generator")
        self.ema_generator.trainable = False
        self.ema_generator.set_weights(self.generator.get_weights())
        self.ema_updates = keras.Variable(0, dtype="int64", trainable=False, name="ema_updates")
        self.spectral_norm = bool(spectral_norm)
        self.discriminator = dcgan_discriminator(self.image_shape, width, self.spectral_norm)
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
            "ema_decay": self.ema_decay,
            "spectral_norm": self.spectral_norm,
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
        self.expect_shape(z, (None, self.latent_dim), "latent vectors")
        return (self.ema_generator(z, training=False) + 1.0) / 2.0

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
        # One generator forward pass serves both updates: D learns from it (held constant),
        # then G is scored by the updated D, as in the alternating DCGAN recipe.
        with tf.GradientTape() as g_tape:
            fake = self.generator(self.replica_rows(self._noise, batch), training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    # One discriminator call on both halves: cheaper, and D has no batch norm
                    # that could tell the halves apart by their batch statistics.
                    logits = self.discriminator(ops.concatenate([real, ops.stop_gradient(fake)]), training=True)
                    real_logits, fake_logits = logits[:batch], logits[batch:]
                    d_loss = self._d_loss(real, ops.stop_gradient(fake), real_logits, fake_logits)
                    # Scaled inside the tape: a division after it would not be on the tape.
                    scaled = self.per_replica(d_loss)
                grads = d_tape.gradient(scaled, self.discriminator.trainable_variables)
                self.apply_gradients(self.d_optimizer, grads, self.discriminator.trainable_variables)
            fake_logits_for_g = self.discriminator(fake, training=True)
            if self.loss == "wgan_gp":
                g_loss = -ops.mean(fake_logits_for_g)
            else:  # non-saturating: maximise log D(G(z)) rather than minimise log(1 − D(G(z)))
                g_loss = ops.mean(keras.losses.binary_crossentropy(
                    ops.ones_like(fake_logits_for_g), fake_logits_for_g, from_logits=True))
            scaled = self.per_replica(g_loss)
        grads = g_tape.gradient(scaled, self.generator.trainable_variables)
        self.apply_gradients(self.g_optimizer, grads, self.generator.trainable_variables)
        self._update_ema()

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_accuracy.update_state(ops.ones_like(real_logits), real_logits)
        self.fake_accuracy.update_state(ops.zeros_like(fake_logits), fake_logits)
        return self.step_logs()

    def _update_ema(self):
        # The decay ramps up (1 + t) / (10 + t) → ema_decay, so the average does not drag the
        # random initial weights along for thousands of steps.
        self.ema_updates.assign_add(1)
        t = ops.cast(self.ema_updates, "float32")
        decay = ops.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for average, current in zip(self.ema_generator.weights, self.generator.weights):
            average.assign(decay * average + (1.0 - decay) * current)

    def _d_loss(self, real, fake, real_logits, fake_logits):
        if self.loss == "wgan_gp":
            mix = self.replica_rows(lambda n: keras.random.uniform((n, 1, 1, 1), seed=self.seed_generator),
                                   ops.shape(real)[0])
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
            num_images = self.checked_count(num_images, count_spec, self.MAX_SAMPLES)
            seed = self.checked(seed, seed_spec)
            z = tf.random.stateless_normal(tf.stack([num_images, self.latent_dim]), seed=tf.stack([seed, 0]))
            pixels = tf.round(self(z) * 255.0)
            return {"images": tf.cast(pixels, tf.uint8)}

        return {"serving_default": (generate, [latent_spec]), "sample": (sample, [count_spec, seed_spec])}
