"""What every zoo model shares beyond `keras.Model`: compile state that survives a `.keras`
round trip, and the serving signatures that `zoo.export` writes."""

import keras
import numpy as np
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

    @staticmethod
    def expect_shape(x, sizes, name):
        """`x`, once its static shape is seen to fit `sizes` (batch first; None: any size), else
        a ValueError naming the input and both shapes, rather than an error deep inside the
        network or a reshape into a wrong answer (a lone 28×28×1 image read as 28 rows)."""
        shape = getattr(x, "shape", None)
        if shape is None or getattr(x, "dtype", None) in (tf.string, object):
            raise ValueError(f"{name} must be a numeric array of shape {_shape_text(sizes)}, got {type(x).__name__} "
                             f"of dtype {getattr(x, 'dtype', None)}.")
        shape = tuple(shape)
        if len(shape) != len(sizes) or any(s is not None and d is not None and s != d for s, d in zip(sizes, shape)):
            raise ValueError(f"{name} must have shape {_shape_text(sizes)}, got {list(shape)}.")
        return x

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, with an empty answer for an empty batch (Keras' own fails on
        one with an internal error)."""
        shape, dtype = getattr(x, "shape", None), getattr(x, "dtype", None)
        if dtype is not None and np.dtype(getattr(dtype, "as_numpy_dtype", dtype)).kind in "USO":
            raise ValueError(f"{self.name}.predict takes a numeric array (see `serving_signatures`), got one of "
                             f"dtype {dtype}.")
        if shape is not None and len(shape) > 0 and shape[0] == 0:
            one = np.zeros((1, *shape[1:]), dtype=getattr(x.dtype, "as_numpy_dtype", x.dtype))
            return tf.nest.map_structure(lambda v: np.asarray(v)[:0], super().predict(one, verbose=0))
        return super().predict(x, *args, **kwargs)

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
        """`tensor` after run-time checks against `spec`: its rank and fixed sizes, at least one
        step along every open axis but the batch (a clip of no frames, a sequence of no
        tokens), and finite values for a float. A loaded signature does not check shapes
        itself: without this a wrong shape would fail deep inside the network, or worse, be
        reshaped into an answer. An empty batch passes: it gets an empty answer."""
        expected = "[" + ", ".join("batch" if d is None else str(d) for d in spec.shape) + "]"
        message = f"{spec.name} must have shape {expected} and dtype {spec.dtype.name}"
        checks = [tf.debugging.assert_rank(tensor, len(spec.shape), message=message)]
        with tf.control_dependencies(checks):
            fixed = [(i, d) for i, d in enumerate(spec.shape) if d is not None]
            if fixed:
                actual = tf.gather(tf.shape(tensor), [i for i, _ in fixed])
                checks.append(tf.debugging.assert_equal(actual, [d for _, d in fixed], message=message))
            for axis in [i for i, d in enumerate(spec.shape) if d is None and i > 0]:
                checks.append(tf.debugging.assert_positive(
                    tf.shape(tensor)[axis], message=f"{spec.name} must have at least 1 element along axis {axis}"))
            if spec.dtype.is_floating:
                checks.append(tf.debugging.assert_all_finite(
                    tensor, message=f"{spec.name} must be finite (no NaN or infinity)"))
        with tf.control_dependencies(checks):
            return tf.identity(tensor)

    @classmethod
    def checked_count(cls, tensor, spec, most):
        """A count setting such as the number of images to draw, checked to lie in [1, most]:
        a larger request would exhaust the serving process's memory."""
        tensor = cls.checked(tensor, spec)
        checks = [tf.debugging.assert_positive(tensor, message=f"{spec.name} must be at least 1"),
                  tf.debugging.assert_less_equal(tensor, tf.cast(most, tensor.dtype),
                                                 message=f"{spec.name} must be at most {most}")]
        with tf.control_dependencies(checks):
            return tf.identity(tensor)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a strategy, Keras' TF trainer reads a batch from a fresh iterator before every
        # `fit` to build the model, even a built one, and then starts the data again: with a
        # pipeline that reshuffles on every pass, each epoch would see the order of the next
        # epoch of a one-device run. Our models are built when constructed; then there is
        # nothing to read a batch for.
        if iterator is not None and all(layer.built for layer in self._flatten_layers()):
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def step_logs(self, metrics=None):
        """What a train or test step returns: each metric's result by name. Across the workers
        of a multi-worker strategy Keras 3 averages the logs along axis 0, which a scalar does
        not have (tensorflow#72388): there each result goes out as a 1-element vector."""
        logs = {m.name: m.result() for m in (self.metrics if metrics is None else metrics)}
        strategy = tf.distribute.get_strategy()
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode():
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    @staticmethod
    def replica_rows(draw, batch):
        """`draw(n)` (a random tensor with n rows), for this replica's `batch` rows. Under a
        tf.distribute strategy every replica holds the same generator state, so each draws for
        the whole global batch and keeps its own rows: the replicas' draws differ from one
        another, and together they are the draw one device would make for the global batch."""
        context, replicas = replica_context()
        if replicas == 1:
            return draw(batch)
        start = context.replica_id_in_sync_group * batch
        return draw(batch * replicas)[start:start + batch]

    @staticmethod
    def global_mean(value):
        """The mean of a per-replica scalar over all replicas (the value itself on one device):
        for state every replica must update alike, such as a moving average."""
        context, replicas = replica_context()
        if replicas == 1:
            return value
        return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)

    @staticmethod
    def apply_gradients(optimizer, gradients, variables):
        """`optimizer.apply(gradients, variables)`, with its gradient clipping done right under a
        strategy. Keras clips each replica's share of the gradient before the replicas' shares
        are summed, which is not the clipped gradient one device would apply; here the shares
        are summed first, the sum clipped as the optimizer would clip it, and each replica
        passes an equal part of the result to the optimizer."""
        context, replicas = replica_context()
        settings = ("clipnorm", "global_clipnorm", "clipvalue")
        if replicas == 1 or not any(getattr(optimizer, s, None) for s in settings):
            return optimizer.apply(gradients, variables)
        present = [i for i, g in enumerate(gradients) if g is not None]  # None: a variable not used
        # Dense sums: an embedding's sparse gradient (IndexedSlices) summed and scaled as a tensor.
        total = context.all_reduce(tf.distribute.ReduceOp.SUM, [tf.convert_to_tensor(gradients[i]) for i in present])
        if optimizer.clipnorm:
            total = [tf.clip_by_norm(g, optimizer.clipnorm) for g in total]
        elif optimizer.global_clipnorm:
            total = tf.clip_by_global_norm(total, optimizer.global_clipnorm)[0]
        else:
            total = [tf.clip_by_value(g, -optimizer.clipvalue, optimizer.clipvalue) for g in total]
        gradients = list(gradients)
        for i, g in zip(present, total):
            gradients[i] = g
        # Each replica's part has at most 1/replicas of the limit, so the optimizer's own
        # clipping of it changes nothing (and the optimizer is left as it is: the replicas
        # trace this step in parallel threads).
        return optimizer.apply([g / replicas if g is not None else None for g in gradients], variables)

    @staticmethod
    def per_replica(loss):
        """Divides a global-batch mean by the replica count: gradients are summed across
        replicas, and hand-written reductions are not scaled by Keras."""
        replicas = replicas_in_scope()
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
        self.apply_gradients(self.optimizer, gradients, self.trainable_variables)
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
        return self.step_logs()

    def classification_outputs(self, probabilities):
        """The serving outputs of a classifier: probabilities, class_id and, when the model
        knows them, class_name."""
        outputs = {"probabilities": probabilities, "class_id": keras.ops.argmax(probabilities, axis=-1)}
        if getattr(self, "class_names", None):
            outputs["class_name"] = tf.gather(tf.constant(self.class_names), outputs["class_id"])
        return outputs


def _shape_text(sizes):
    return "[" + ", ".join("batch" if i == 0 else ("any" if d is None else str(d)) for i, d in enumerate(sizes)) + "]"


def replica_context():
    """(the replica context, its replica count): (None, 1) in a cross-replica context."""
    context = tf.distribute.get_replica_context()
    return context, (context.num_replicas_in_sync if context is not None else 1)


def replicas_in_scope():
    """Replicas of the tf.distribute strategy in scope (1 outside any)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def batch_norm(**kwargs):
    """BatchNormalization whose batch statistics cover the global batch under a strategy with
    several replicas (`synchronized`), as they would on one device; plain elsewhere."""
    return keras.layers.BatchNormalization(synchronized=replicas_in_scope() > 1, **kwargs)


class ReplicaDropout(keras.layers.Dropout):
    """Dropout whose mask, under a strategy with several replicas, is drawn for the global batch
    and sliced per replica (`ZooModel.replica_rows`): Keras' Dropout would give every replica
    the same mask. On one device it is Keras' Dropout, draw for draw."""

    def call(self, inputs, training=False):
        if not training or self.rate == 0 or replica_context()[1] == 1:
            return super().call(inputs, training=training)
        keep = ZooModel.replica_rows(
            lambda n: keras.random.dropout(tf.ones(tf.concat([[n], tf.shape(inputs)[1:]], 0), inputs.dtype),
                                           self.rate, seed=self.seed_generator),
            keras.ops.shape(inputs)[0])
        return inputs * keep
