"""What every zoo model shares beyond `keras.Model`: compile state that survives a `.keras`
round trip, and the serving signatures that `zoo.export` writes."""

import keras
import tensorflow as tf
from keras.saving import deserialize_keras_object, serialize_keras_object

_SEED_KEY = "seed_generator_state_"


class ZooModel(keras.Model):
    """Base class of the zoo's models (not registered itself: it has no network).

    Subclasses implement `serving_signatures()`; a subclass whose `compile()` takes its own
    arguments (a GAN's two optimizers) records them with `_record_compile_args(...)` and
    overrides `build_optimizers()`.
    """

    def _record_compile_args(self, **kwargs):
        self._zoo_compile_args = kwargs

    def get_compile_config(self):
        args = getattr(self, "_zoo_compile_args", None)
        if args is None:
            return super().get_compile_config()
        return serialize_keras_object(args)

    def compile_from_config(self, config):
        # Keras skips a custom compile() on load and warns; that is how a resumed run
        # silently starts from fresh optimizer state (keras-io#729). Re-run it instead.
        self.compile(**deserialize_keras_object(config))
        if self.built:
            self.build_optimizers()

    def build_optimizers(self):
        """Creates the optimizer slots now, so a `.keras` load has variables to restore into
        and a `tf.distribute` strategy creates them inside its scope."""
        self.optimizer.build(self.trainable_variables)

    # Keras saves variables but not the state of SeedGenerators (ours and the dropout
    # layers'), so a reloaded model would replay random draws it already made. Save them with
    # the model's own variables: a resumed run then continues the same random stream.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        for i, generator in enumerate(self._seed_generators_in_order()):
            store[f"{_SEED_KEY}{i}"] = generator.state.numpy()

    def load_own_variables(self, store):
        keys = list(store.keys())
        super().load_own_variables({k: store[k] for k in keys if not k.startswith(_SEED_KEY)})
        for i, generator in enumerate(self._seed_generators_in_order()):
            if f"{_SEED_KEY}{i}" in keys:
                generator.state.assign(store[f"{_SEED_KEY}{i}"])

    def _seed_generators_in_order(self):
        return [g for layer in self._flatten_layers(include_self=True) for g in layer._seed_generators]

    def serving_signatures(self):
        """{endpoint name: (function, [tf.TensorSpec, ...])} for `zoo.export`; the function
        returns a dict of named outputs. The first is `serving_default`."""
        raise NotImplementedError

    @staticmethod
    def image_shape_of(value, divisible_by=1):
        """`value` as a (height, width, channels) tuple, or a ValueError saying what is wrong."""
        shape = tuple(int(d) for d in value)
        if len(shape) != 3 or shape[0] % divisible_by or shape[1] % divisible_by:
            sides = f" with height and width divisible by {divisible_by}" if divisible_by > 1 else ""
            raise ValueError(f"image_shape must be (height, width, channels){sides}, got {value!r}.")
        return shape

    @staticmethod
    def checked(tensor, spec):
        """`tensor` after a run-time check against `spec`'s rank and fixed sizes. A loaded
        signature does not check shapes itself: without this a wrong shape would fail deep
        inside the network, or worse, be reshaped into an answer."""
        expected = "[" + ", ".join("batch" if d is None else str(d) for d in spec.shape) + "]"
        message = f"{spec.name} must have shape {expected} and dtype {spec.dtype.name}"
        checks = [tf.debugging.assert_rank(tensor, len(spec.shape), message=message)]
        with tf.control_dependencies(checks):
            fixed = [(i, d) for i, d in enumerate(spec.shape) if d is not None]
            if fixed:
                actual = tf.gather(tf.shape(tensor), [i for i, _ in fixed])
                checks.append(tf.debugging.assert_equal(actual, [d for _, d in fixed], message=message))
        with tf.control_dependencies(checks):
            return tf.identity(tensor)

    @staticmethod
    def per_replica(loss):
        """Divides a global-batch mean by the replica count: gradients are summed across
        replicas, and hand-written reductions are not scaled by Keras."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return loss / tf.cast(replicas, loss.dtype) if replicas > 1 else loss


class ZooClassifier(ZooModel):
    """A classifier of raw inputs, trained by cross-entropy: what `lstm_image_classifier` and
    `cnn_lstm_video` share. Subclasses create their network, call `_create_metrics()` in
    `__init__`, and implement `logits(inputs, training)`; `augment(inputs)` may change
    training inputs (the default leaves them)."""

    def _create_metrics(self):
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def compile(self, optimizer="adam", **kwargs):
        """Keras' compile with Adam as the default; the loss is the model's own."""
        super().compile(optimizer=optimizer, **kwargs)

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy]

    def call(self, inputs, training=False):
        """Raw inputs → class probabilities [batch, num_classes]."""
        return keras.ops.softmax(self.logits(inputs, training=training))

    def logits(self, inputs, training=False):
        raise NotImplementedError

    def augment(self, inputs):
        return inputs

    def train_step(self, data):
        inputs, labels = self.augment(data[0]), data[1]
        with tf.GradientTape() as tape:
            logits = self.logits(inputs, training=True)
            loss = self._loss(labels, logits)
            if self.losses:
                loss = loss + keras.ops.sum(self.losses)
            scaled = self.optimizer.scale_loss(self.per_replica(loss))
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._track(loss, labels, logits)

    def test_step(self, data):
        inputs, labels = data[0], data[1]
        logits = self.logits(inputs, training=False)
        return self._track(self._loss(labels, logits), labels, logits)

    @staticmethod
    def _loss(labels, logits):
        return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))

    def _track(self, loss, labels, logits):
        self.loss_tracker.update_state(loss)
        self.accuracy.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics}

    def classification_outputs(self, probabilities):
        """The serving outputs of a classifier: probabilities, class_id and, when the model
        knows them, class_name."""
        outputs = {"probabilities": probabilities, "class_id": keras.ops.argmax(probabilities, axis=-1)}
        if getattr(self, "class_names", None):
            outputs["class_name"] = tf.gather(tf.constant(self.class_names), outputs["class_id"])
        return outputs
