"""What the zoo's image GANs share: one `train_step` that updates the discriminator and then the
generator with their own optimizers (non-saturating loss or WGAN-GP), an exponential moving
average of the generator that images are drawn from, and the `serving_default` (latent → uint8
images) and `sample` (count, seed → uint8 images) signatures. A subclass supplies the two
networks (`dcgan`: convolutions; `lstm_gan_image`: LSTMs)."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.models.base import ZooModel
from zoo.models.conditional import ClassConditional, rows

LOSSES = ("non_saturating", "wgan_gp")


class ImageGAN(ClassConditional, ZooModel):
    """Base class of the image GANs (not registered itself).

    A subclass's `__init__` passes the settings every image GAN has to this constructor,
    stores its own, then calls `_build_gan(make_generator, make_discriminator)`:
    `make_generator(name)` returns a new generator network (z → images in [-1, 1]),
    `make_discriminator()` the discriminator (images in [-1, 1] → one logit). The subclass
    also gives `get_config()` (`gan_config()` plus its own fields) and `FIELD_CHECKS`.

    Args:
        image_shape: (height, width, channels) of the images.
        latent_dim: size of the noise vector z.
        loss: "non_saturating" (the standard GAN loss with −log D(G(z)) for the generator) or
            "wgan_gp" (Wasserstein loss with a gradient penalty).
        label_smoothing: one-sided: real labels become 1 − this for the discriminator
            (non-saturating loss only).
        gradient_penalty: weight of WGAN-GP's penalty.
        r1_penalty: weight γ of the R1 penalty γ/2 · E‖∇D(real)‖² on the discriminator
            (non-saturating loss; 0: none).
        r1_interval: apply the R1 penalty, scaled by this, on one discriminator step in this many
            (lazy regularisation, StyleGAN2; 1: every step).
        ema_decay: decay of the moving average of the generator's weights that `call` samples
            from (0: sample from the trained generator itself).
        seed: seed of the noise draws (None: Keras' global seed).
        num_classes: 0 (the default): an unconditional GAN. More: a class-conditional one,
            trained on (images, labels) with labels in [0, num_classes): the label conditions
            the generator (`make_generator` networks take [z, labels]) and the discriminator
            (theirs take [images, labels]); `sample` and `generate` take `labels`.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Attributes:
        MAX_SAMPLES: the most images one request to the exported `sample` signature may ask
            for (10,000).
        SIDE_MULTIPLE: the images' height and width must be multiples of this (a subclass's
            upsampling; 1 here).
        NOT_PORTABLE: `sample` is left out of LiteRT and ONNX exports: its random draws from a
            run-time seed cannot be expressed there (draw the latent yourself and call
            `serving_default`).
        generator: the trained generator network (z → images in [-1, 1]).
        ema_generator: the exponential moving average of the generator's weights, which
            `call`, `generate` and `sample` draw from.
        discriminator: the discriminator network (images in [-1, 1] → one logit).
        d_optimizer: the discriminator's optimizer (after `compile`).
        g_optimizer: the generator's optimizer (after `compile`).

    Examples:
        `dcgan` and `lstm_gan_image` are image GANs:

        >>> import zoo
        >>> gan = zoo.load("dcgan", latent_dim=8, width=8)
        >>> isinstance(gan, ImageGAN), gan.MAX_SAMPLES, gan.SIDE_MULTIPLE
        (True, 10000, 4)
        >>> gan.generator.output_shape, gan.discriminator.output_shape
        ((None, 28, 28, 1), (None, 1))
    """

    SERVING_EXAMPLES = {"sample": {"num_images": 2, "seed": 7, "labels": np.array([7, 3], "int32")}}
    MAX_SAMPLES = 10_000  # most images one request to the exported `sample` signature may ask for
    SIDE_MULTIPLE = 1  # the images' height and width must be multiples of this (a subclass's upsampling)
    NOT_PORTABLE = {"sample": "no: random draws from a run-time seed, which neither format can express (draw the "
                              "latent yourself and call serving_default)"}

    def __init__(self, image_shape, latent_dim, loss, label_smoothing, gradient_penalty, r1_penalty, r1_interval,
                 ema_decay, seed, num_classes=0, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.image_shape = self.image_shape_of(image_shape, divisible_by=self.SIDE_MULTIPLE)
        self.latent_dim = latent_dim
        self.loss = loss
        self.label_smoothing = label_smoothing
        self.gradient_penalty = gradient_penalty
        self.r1_penalty = float(r1_penalty)
        self.r1_interval = int(r1_interval)
        self.ema_decay = ema_decay
        self.seed = seed

    def _build_gan(self, make_generator, make_discriminator):
        self.generator = make_generator("generator")
        self.ema_generator = make_generator("ema_generator")
        self.ema_generator.trainable = False
        self.ema_generator.set_weights(self.generator.get_weights())
        self.ema_updates = keras.Variable(0, dtype="int64", trainable=False, name="ema_updates")
        self.discriminator = make_discriminator()
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_accuracy = keras.metrics.BinaryAccuracy(name="d_real_accuracy", threshold=0.0)
        self.fake_accuracy = keras.metrics.BinaryAccuracy(name="d_fake_accuracy", threshold=0.0)
        self.build((None, self.latent_dim))

    # -- the label, where the GAN is conditional -----------------------------------------------
    def _generator_inputs(self, z, labels):
        return [z, labels] if self.num_classes else z

    def _discriminate(self, images, labels, training=True):
        return self.discriminator([images, labels] if self.num_classes else images, training=training)

    def build(self, input_shape):
        """Does nothing: both functional sub-networks are built at construction.

        Args:
            input_shape: the latent vectors' shape (Keras passes it; unused).
        """
        pass  # both functional sub-networks are built at construction

    def gan_config(self):
        """The config entries every image GAN has, for a subclass's `get_config`.

        Returns:
            dict: image_shape (a list), latent_dim, loss, label_smoothing, gradient_penalty,
                r1_penalty, r1_interval, ema_decay and num_classes (the subclass adds its own fields and
                seed).

        Examples:
            >>> import zoo
            >>> config = zoo.load("dcgan", latent_dim=8, width=8).gan_config()
            >>> config["image_shape"], config["latent_dim"], config["loss"]
            ([28, 28, 1], 8, 'non_saturating')
        """
        return {"image_shape": list(self.image_shape), "latent_dim": self.latent_dim, "loss": self.loss,
                "label_smoothing": self.label_smoothing, "gradient_penalty": self.gradient_penalty,
                "r1_penalty": self.r1_penalty, "r1_interval": self.r1_interval, "ema_decay": self.ema_decay,
                "num_classes": self.num_classes}

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Keras' compile with two optimizers, the discriminator's and the generator's.

        Both default to Adam(2e-4, β1 = 0.5) as in the DCGAN paper (WGAN-GP: Adam(1e-4,
        β1 = 0.5, β2 = 0.9), as in its paper). They are recorded, so a `.keras` file restores
        them (`get_compile_config`).

        Args:
            d_optimizer: the discriminator's optimizer (a Keras optimizer, its name or its
                config); None: the default Adam.
            g_optimizer: the generator's optimizer, likewise.
            **kwargs: passed on to `keras.Model.compile`.
        """
        adam = dict(learning_rate=1e-4, beta_1=0.5, beta_2=0.9) if self.loss == "wgan_gp" else dict(learning_rate=2e-4, beta_1=0.5)
        self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer is not None else keras.optimizers.Adam(**adam)
        self.g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer is not None else keras.optimizers.Adam(**adam)
        self._record_compile_args(d_optimizer=self.d_optimizer, g_optimizer=self.g_optimizer)
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def build_optimizers(self):
        """Creates both optimizers' variables now, each for its own network's weights.

        Examples:
            >>> import zoo
            >>> gan = zoo.load("dcgan", latent_dim=8, width=8)
            >>> gan.build_optimizers()
            >>> gan.d_optimizer.built, gan.g_optimizer.built
            (True, True)
        """
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        """The metrics a training step updates and reports.

        Returns:
            list: the means of the discriminator's and the generator's losses (`d_loss`,
                `g_loss`), and the discriminator's accuracy on real and on generated images
                (`d_real_accuracy`, `d_fake_accuracy`).
        """
        return [self.d_loss_tracker, self.g_loss_tracker, self.real_accuracy, self.fake_accuracy]

    def call(self, z, training=False):
        """Latent vectors → the moving-average generator's pixels in [0, 1].

        What the pictures and measures use; `generate` gives uint8 images.

        Args:
            z: latent vectors [batch, latent_dim]; for a conditional GAN, (latent vectors,
                int labels [batch]), or the vectors alone for the classes in turn.
            training: unused: the average generator always runs in inference mode.

        Returns:
            tf.Tensor: float32 pixels in [0, 1], [batch, h, w, c].

        Raises:
            ValueError: if `z` is not of shape [batch, latent_dim].
        """
        labels = None
        if self.num_classes and isinstance(z, (tuple, list)):
            z, labels = z
        self.expect_shape(z, (None, self.latent_dim), "latent vectors")
        labels = self.checked_labels(labels, rows(z))  # None: the classes in turn
        return (self.ema_generator(self._generator_inputs(z, labels), training=False) + 1.0) / 2.0

    def generate(self, z, output="uint8", labels=None):
        """Latent vectors → images, drawn by the moving average of the generator.

        Args:
            z: latent vectors [batch, latent_dim] (float).
            output: "uint8" (the default): images, round(255 · pixel); "float": the pixels
                in [0, 1].
            labels: for a conditional GAN, the class of each image (ints in [0,
                num_classes), one per row of `z`, or one for all); None: the classes in turn.

        Returns:
            tf.Tensor: images [batch, h, w, c], uint8 or float32.

        Raises:
            ValueError: if `output` is neither "uint8" nor "float", `z` is not of shape
                [batch, latent_dim], or `labels` are given to an unconditional GAN or lie
                outside [0, num_classes).

        Examples:
            >>> import numpy as np
            >>> import zoo
            >>> gan = zoo.load("dcgan", latent_dim=8, width=8)
            >>> images = gan.generate(np.zeros((2, 8), "float32"))
            >>> images.shape, images.dtype
            (TensorShape([2, 28, 28, 1]), tf.uint8)
        """
        self.checked_output(output)
        z = self.expect_shape(z, (None, self.latent_dim), "latent vectors")
        labels = self.checked_labels(labels, rows(z))  # refuses labels for an unconditional GAN
        return self.as_output(self(z if labels is None else (z, labels)), output)

    def sample(self, n, seed=None, output="uint8", labels=None):
        """`n` generated images from fresh noise.

        Args:
            n: how many images.
            seed: an int seed for the noise, so the same images come again; None (the
                default): the model's own seed generator, which moves on with every draw.
            output: "uint8" (the default): images, round(255 · pixel); "float": the pixels
                in [0, 1].
            labels: for a conditional GAN, the class of each image: `n` ints in [0,
                num_classes), or one int for all; None (the default): the classes in turn.

        Returns:
            tf.Tensor: images [n, h, w, c], uint8 or float32.

        Raises:
            ValueError: if `output` is neither "uint8" nor "float", or `labels` are given to
                an unconditional GAN or are not `n` ids in [0, num_classes) (before anything
                is drawn).

        Examples:
            >>> import zoo
            >>> gan = zoo.load("dcgan", latent_dim=8, width=8)
            >>> gan.sample(3).shape, gan.sample(3, output="float").dtype
            (TensorShape([3, 28, 28, 1]), tf.float32)
            >>> bool((gan.sample(2, seed=1) == gan.sample(2, seed=1)).numpy().all())
            True
        """
        self.checked_output(output)
        labels = self.checked_labels(labels, n)
        return self.generate(self._noise(n, seed), output, labels=labels)

    def _noise(self, n, seed=None):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator if seed is None else seed)

    def train_step(self, data):
        """One discriminator update, then one generator update, then the moving average.

        Both updates use one batch of generated images: the discriminator learns from it
        (held constant), then the generator is scored by the updated discriminator, as in the
        alternating DCGAN recipe.

        A conditional GAN's generated images take the real batch's labels, so both halves
        of the discriminator's batch have the data's class mix.

        Args:
            data: a batch of real images, raw pixels 0..255 (or a tuple whose first item it
                is); for a conditional GAN, (images, labels).

        Returns:
            dict: the metrics so far (`step_logs`): d_loss, g_loss, d_real_accuracy,
                d_fake_accuracy.
        """
        images = data[0] if isinstance(data, (tuple, list)) else data
        labels = self.batch_labels(data)
        real = ops.cast(images, "float32") / 127.5 - 1.0
        real = ops.reshape(real, (-1, *self.image_shape))
        batch = ops.shape(real)[0]
        # One generator forward pass serves both updates: D learns from it (held constant),
        # then G is scored by the updated D, as in the alternating DCGAN recipe.
        with tf.GradientTape() as g_tape:
            fake = self.generator(self._generator_inputs(self.replica_rows(self._noise, batch), labels), training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    # One discriminator call on both halves: cheaper, and D has no batch norm
                    # that could tell the halves apart by their batch statistics.
                    both = None if labels is None else ops.concatenate([labels, labels])
                    logits = self._discriminate(ops.concatenate([real, ops.stop_gradient(fake)]), both)
                    real_logits, fake_logits = logits[:batch], logits[batch:]
                    d_loss = self._d_loss(real, ops.stop_gradient(fake), real_logits, fake_logits, labels)
                    # Scaled inside the tape: a division after it would not be on the tape.
                    scaled = self.per_replica(d_loss)
                grads = d_tape.gradient(scaled, self.discriminator.trainable_variables)
                self.apply_gradients(self.d_optimizer, grads, self.discriminator.trainable_variables)
            fake_logits_for_g = self._discriminate(fake, labels)
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

    def _d_loss(self, real, fake, real_logits, fake_logits, labels=None):
        if self.loss == "wgan_gp":
            mix = self.replica_rows(lambda n: keras.random.uniform((n, 1, 1, 1), seed=self.seed_generator),
                                   ops.shape(real)[0])
            between = mix * real + (1 - mix) * fake
            with tf.GradientTape() as inner:
                inner.watch(between)
                between_logits = self._discriminate(between, labels)
            slopes = ops.sqrt(ops.sum(ops.square(inner.gradient(between_logits, between)), axis=(1, 2, 3)) + 1e-12)
            return ops.mean(fake_logits) - ops.mean(real_logits) + self.gradient_penalty * ops.mean(ops.square(slopes - 1))
        real_labels = ops.ones_like(real_logits) * (1.0 - self.label_smoothing)
        loss = ops.mean(keras.losses.binary_crossentropy(real_labels, real_logits, from_logits=True)) + ops.mean(
            keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True))
        r1, interval = self.r1_penalty, self.r1_interval
        if not r1:
            return loss

        def penalty():  # Mescheder et al. 2018: γ/2 · E‖∇D(real)‖², keeping D flat on the data
            with tf.GradientTape() as inner:
                inner.watch(real)
                real_again = self._discriminate(real, labels)
            slopes = ops.sum(ops.square(inner.gradient(real_again, real)), axis=(1, 2, 3))
            return 0.5 * r1 * interval * ops.mean(ops.cast(slopes, "float32"))

        if interval == 1:
            return loss + penalty()
        # Lazy regularisation (StyleGAN2, Karras et al. 2020): the penalty, γ times the
        # interval, on one D step in `interval`; its second-order pass is the dearest part of a step.
        due = ops.equal(self.d_optimizer.iterations % interval, 0)
        return loss + tf.cond(due, penalty, lambda: tf.zeros((), "float32"))

    def serving_signatures(self):
        """The endpoints `zoo.export` writes: `serving_default` and `sample`.

        `serving_default` takes `latent` (float32 [batch, latent_dim]) and returns `images`
        (uint8 [batch, h, w, c]); `sample` takes `num_images` (int32, 1 … `MAX_SAMPLES`) and
        `seed` (int32) and returns as many `images`, the same for the same seed. A
        conditional GAN's endpoints take `labels` (int32 [batch], each in [0, num_classes)):
        `serving_default` one per latent vector, `sample` one per image (at most
        `MAX_SAMPLES`) in place of `num_images`.

        Returns:
            dict: {endpoint name: (function, [tf.TensorSpec, ...])}.

        Examples:
            >>> import tensorflow as tf
            >>> import zoo
            >>> gan = zoo.load("dcgan", latent_dim=8, width=8)
            >>> sample, specs = gan.serving_signatures()["sample"]
            >>> [spec.name for spec in specs]
            ['num_images', 'seed']
            >>> sample(tf.constant(3), tf.constant(0))["images"].shape
            TensorShape([3, 28, 28, 1])
        """
        latent_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="latent")
        count_spec = tf.TensorSpec((), tf.int32, name="num_images")
        seed_spec = tf.TensorSpec((), tf.int32, name="seed")
        if self.num_classes:
            return self._conditional_signatures(latent_spec, seed_spec)

        def generate(latent):
            return {"images": self.generate(self.checked(latent, latent_spec))}

        def sample(num_images, seed):
            num_images = self.checked_count(num_images, count_spec, self.MAX_SAMPLES)
            seed = self.checked(seed, seed_spec)
            z = tf.random.stateless_normal(tf.stack([num_images, self.latent_dim]), seed=tf.stack([seed, 0]))
            return {"images": self.generate(z)}

        return {"serving_default": (generate, [latent_spec]), "sample": (sample, [count_spec, seed_spec])}

    def _conditional_signatures(self, latent_spec, seed_spec):
        # A conditional GAN's endpoints take the class of every image: `labels`, int32 [batch].
        def generate(latent, labels):
            latent = self.checked(latent, latent_spec)
            return {"images": self.generate(latent, labels=self.served_labels(labels, latent, "latent"))}

        def sample(labels, seed):
            labels = self.served_labels(labels, endpoint="sample", most=self.MAX_SAMPLES)
            seed = self.checked(seed, seed_spec)
            z = tf.random.stateless_normal(tf.stack([tf.shape(labels)[0], self.latent_dim]), seed=tf.stack([seed, 0]))
            return {"images": self.generate(z, labels=labels)}

        labels_spec = self.labels_spec()
        return {"serving_default": (generate, [latent_spec, labels_spec]), "sample": (sample, [labels_spec, seed_spec])}
