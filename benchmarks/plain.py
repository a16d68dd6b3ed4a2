"""The same networks trained the plain Keras way, as a yardstick for the zoo's own `train_step`s.

For each model, fresh copies of its sub-networks (same layers, sizes and dtype policy) are
trained on the same batch with nothing of the zoo around them: a built-in `compile(loss=...)`
for the video classifier and the text generator's maximum-likelihood phase, and a textbook
`train_step` of a dozen lines (as in the Keras examples) for the image classifier, the GAN and
the VAE. Where the zoo's step does work that is its method, not its overhead, the plain step
does it too, written the plain way, so that the ratio measures overhead: the zoo optimizer's
gradient clipping (the text model clips to norm 5); the image classifier's
random shifts of raw uint8 images (keras.random offsets, pad and slice) and its accuracy; the
video classifier's scaling of raw uint8 frames and their differences, in the step; the
GANs' label smoothing, R1 penalty (lazy where the recipe's is), one generator pass serving
both updates (the textbook step draws twice) and moving average of the generator (the
optimizer's `use_ema`, of the trainable weights only: the zoo also averages batch-norm
statistics, with a warm-up). Every network is called with `training=True`, as the zoo's steps
call them (batch statistics, the spectral norm's power iteration). What else the zoo adds
(distribution-aware loss scaling, the discriminator's accuracies) is left out. If the zoo's throughput matches this one, a model-FLOP utilisation under the
target is the network's on this machine, not a cost of the zoo's abstractions.
"""

import keras
import tensorflow as tf
from keras import ops


def _copy(network):
    return keras.models.clone_model(network)


def _adam(learning_rate, like, **kwargs):
    """Adam clipping gradients as the zoo's optimizer `like` does (clipping is part of the
    method: the text model clips to norm 5)."""
    clipping = {k: getattr(like, k, None) for k in ("clipnorm", "global_clipnorm", "clipvalue")}
    return keras.optimizers.Adam(learning_rate, **kwargs, **{k: v for k, v in clipping.items() if v})


class _PlainGAN(keras.Model):
    """The textbook two-optimizer GAN step, doing the zoo's GAN method the plain way: one-sided
    label smoothing, an R1 penalty on real images (every `r1_interval`-th discriminator step,
    scaled by the interval) and a moving average of the generator's weights (the optimizer's own
    `use_ema`)."""

    def __init__(self, generator, discriminator, latent_dim, label_smoothing=0.0, r1_penalty=0.0, r1_interval=1):
        super().__init__(name="plain_gan")
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.label_smoothing, self.r1_penalty, self.r1_interval = label_smoothing, r1_penalty, r1_interval
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def r1(self, real):
        with tf.GradientTape() as tape:
            tape.watch(real)
            logits = self.discriminator(real, training=True)
        slopes = ops.sum(ops.square(tape.gradient(logits, real)), axis=(1, 2, 3))
        return 0.5 * self.r1_penalty * self.r1_interval * ops.mean(ops.cast(slopes, "float32"))

    def train_step(self, images):
        real = ops.cast(images, "float32") / 127.5 - 1.0
        batch = ops.shape(real)[0]
        z = keras.random.normal((batch, self.latent_dim))
        # One generator pass for both updates, as the zoo's step does (the textbook step draws
        # twice): the same arithmetic on both sides, so the ratio is overhead alone.
        with tf.GradientTape() as g_tape:
            fake = self.generator(z, training=True)
            with g_tape.stop_recording():  # the discriminator's update
                with tf.GradientTape() as tape:
                    logits = self.discriminator(ops.concatenate([real, ops.stop_gradient(fake)]), training=True)
                    labels = ops.concatenate([ops.ones((batch, 1)) * (1.0 - self.label_smoothing),
                                              ops.zeros((batch, 1))])
                    d_loss = self.bce(labels, logits)
                    if self.r1_penalty and self.r1_interval == 1:
                        d_loss += self.r1(real)
                    elif self.r1_penalty:
                        due = ops.equal(self.d_optimizer.iterations % self.r1_interval, 0)
                        d_loss += tf.cond(due, lambda: self.r1(real), lambda: tf.zeros(()))
                grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
                self.d_optimizer.apply(grads, self.discriminator.trainable_variables)
            g_loss = self.bce(ops.ones((batch, 1)), self.discriminator(fake, training=True))
        grads = g_tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply(grads, self.generator.trainable_variables)
        return {"d_loss": d_loss, "g_loss": g_loss}


class _PlainLanguageModel(keras.Model):
    """The text generator's LSTM from a zero state: shifted tokens → next-token logits."""

    def __init__(self, generator, hidden_dim):
        super().__init__(name="plain_language_model")
        self.generator, self.hidden_dim = generator, hidden_dim

    def call(self, tokens):
        zeros = ops.zeros((ops.shape(tokens)[0], self.hidden_dim))
        return self.generator([tokens, zeros, zeros])[0]


class _PlainShiftedClassifier(keras.Model):
    """Raw uint8 images, each shifted by a random (dy, dx) in [-shift, shift] (edges zero) and
    scaled to [0, 1], read row by row by the classifier's network; loss and accuracy tracked."""

    def __init__(self, network, shift):
        super().__init__(name="plain_shifted_classifier")
        self.network, self.shift = network, shift
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.loss_mean = keras.metrics.Mean(name="loss")

    def shifted(self, images):
        n, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
        padded = ops.pad(images, [(0, 0), (self.shift, self.shift), (self.shift, self.shift), (0, 0)])
        offsets = keras.random.randint((n, 2), 0, 2 * self.shift + 1)
        rows = offsets[:, :1] + ops.arange(height)[None]
        cols = offsets[:, 1:] + ops.arange(width)[None]
        padded = ops.take_along_axis(padded, rows[:, :, None, None], axis=1)
        return ops.take_along_axis(padded, cols[:, None, :, None], axis=2)

    def train_step(self, data):
        images, labels = data
        x = ops.cast(self.shifted(images) if self.shift else images, "float32") / 255.0
        x = ops.reshape(x, (-1, images.shape[1], images.shape[2] * images.shape[3]))
        with tf.GradientTape() as tape:
            logits = self.network(x, training=True)
            loss = ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        grads = tape.gradient(loss, self.network.trainable_variables)
        self.optimizer.apply(grads, self.network.trainable_variables)
        self.loss_mean.update_state(loss)
        self.accuracy.update_state(labels, logits)
        return {"loss": self.loss_mean.result(), "accuracy": self.accuracy.result()}


class _PlainVideoClassifier(keras.Model):
    """Raw uint8 clips, scaled to [0, 1] in the step and each frame given its difference from
    the frame before (as the zoo's `network_inputs` does), read by the clip network: logits
    after every frame."""

    def __init__(self, network, frame_differences):
        super().__init__(name="plain_video_classifier")
        self.network, self.frame_differences = network, frame_differences

    def call(self, videos, training=False):
        frames = ops.cast(videos, "float32") / 255.0
        if self.frame_differences:
            frames = ops.concatenate([frames, frames - ops.concatenate([frames[:, :1], frames[:, :-1]], axis=1)], -1)
        return self.network(frames, training=training)


class _PlainVAE(keras.Model):
    def __init__(self, encoder, decoder, latent_dim):
        super().__init__(name="plain_vae")
        self.encoder, self.decoder, self.latent_dim = encoder, decoder, latent_dim

    def train_step(self, images):
        x = ops.cast(ops.cast(images, "float32") / 255.0 > keras.random.uniform(ops.shape(images)), "float32")
        with tf.GradientTape() as tape:
            mean, log_variance = self.encoder(x, training=True)
            z = mean + ops.exp(0.5 * log_variance) * keras.random.normal(ops.shape(mean))
            logits = self.decoder(z, training=True)
            # Keras' binary cross-entropy averages over the last axis, here the single channel.
            reconstruction = ops.sum(keras.losses.binary_crossentropy(x, logits, from_logits=True), axis=(1, 2))
            kl = -0.5 * ops.sum(1 + log_variance - ops.square(mean) - ops.exp(log_variance), axis=1)
            loss = ops.mean(reconstruction + kl)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return {"loss": loss}


def _images(batch):
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def _with_cross_entropy(plain, model):
    """`plain` compiled with Keras' built-in cross-entropy of integer labels (the next token's,
    or each frame's class)."""
    plain.compile(optimizer=_adam(1e-3, getattr(model, "g_optimizer", model.optimizer)),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return plain


def _gan(model, batch):
    plain = _PlainGAN(_copy(model.generator), _copy(model.discriminator), model.latent_dim,
                      model.label_smoothing, model.r1_penalty, model.r1_interval)
    plain.compile()
    plain.d_optimizer = _adam(2e-4, model.d_optimizer, beta_1=0.5)
    plain.g_optimizer = _adam(2e-4, model.g_optimizer, beta_1=0.5, use_ema=True, ema_momentum=model.ema_decay)
    return plain, _images(batch)


def _vae(model, batch):
    plain = _PlainVAE(_copy(model.encoder), _copy(model.decoder), model.latent_dim)
    plain.compile(optimizer=_adam(1e-3, model.optimizer))
    return plain, _images(batch)


def _image_classifier(model, batch):
    plain = _PlainShiftedClassifier(_copy(model.network), model.augment_shift)
    plain.compile(optimizer=_adam(1e-3, model.optimizer))
    return plain, (_images(batch), batch[1])


def _video_classifier(model, batch):
    # The network answers after every frame, and the loss covers every answer.
    images = _images(batch)
    labels = ops.repeat(ops.expand_dims(batch[1], 1), ops.shape(images)[1], axis=1)
    plain = _PlainVideoClassifier(_copy(model.network), model.frame_differences)
    return _with_cross_entropy(plain, model), (images, labels)


def _language_model(model, batch):
    """The maximum-likelihood phase, 10 of the recipe's 12 epochs."""
    tokens = ops.cast(_images(batch), "int32")
    start = ops.full((ops.shape(tokens)[0], 1), model.vocab_size, dtype="int32")
    plain = _PlainLanguageModel(_copy(model.generator), model.hidden_dim)
    return _with_cross_entropy(plain, model), (ops.concatenate([start, tokens[:, :-1]], axis=1), tokens)


# Each model with a plain twin → what builds it: (compiled plain model, dataset element) of
# (the zoo model, one training batch).
_BUILDERS = {"cnn_lstm_video": _video_classifier, "dcgan": _gan, "lstm_gan_image": _gan,
             "lstm_gan_text": _language_model, "lstm_image_classifier": _image_classifier, "vae": _vae}
TWINS = tuple(_BUILDERS)  # the models that have one


def plain_version(name, model, batch):
    """(a compiled plain-Keras model, one dataset element to fit it on) for the zoo model `model`
    and one training batch of its recipe's pipeline; None for a model with no plain version.

    >>> TWINS
    ('cnn_lstm_video', 'dcgan', 'lstm_gan_image', 'lstm_gan_text', 'lstm_image_classifier', 'vae')
    >>> plain_version("pixel_lstm", None, None) is None
    True
    """
    build = _BUILDERS.get(name)
    return None if build is None else build(model, batch)
