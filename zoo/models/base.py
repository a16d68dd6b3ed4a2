"""What every zoo model shares beyond `keras.Model`: compile state and random state that
survive a `.keras` round trip, the serving signatures that `zoo.export` writes, and the
classifier's training step.

The serving-input checks live in `zoo.models.serving`, the pixel convention (what goes in,
what comes out) in `zoo.models.pixels`, the multi-device maths in `zoo.models.replicas`;
`ZooModel` offers them as methods, so a model file asks `self` and needs no import. Private
Keras calls go through `zoo.keras_private`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras.saving import deserialize_keras_object, serialize_keras_object

from zoo import keras_private
from zoo.models import pixels, replicas, serving

_SEED_KEY = "seed_generator_state_"


class ZooModel(keras.Model):
    """Base class of the zoo's models (not registered itself: it has no network).

    Subclasses implement `serving_signatures()`; a subclass whose `compile()` takes its own
    arguments (a GAN's two optimizers) records them with `_record_compile_args(...)` and
    overrides `build_optimizers()`. The attributes and methods under "hooks" below are what
    the rest of the zoo asks a model; a model states those that differ from the defaults here.
    """

    # -- hooks: what the rest of the zoo asks a model, with the answer of a model that says nothing
    FIELD_CHECKS = {}  # {constructor argument: check} (`zoo.config` checks), applied by `check_fields`
    # {endpoint: {input: value}}: the example requests the docs show (`serving_example`).
    SERVING_EXAMPLES = {}
    # {endpoint: why LiteRT and ONNX exports leave it out} (`zoo.portable`, `zoo export`);
    # every other endpoint of `serving_signatures` is exported in every format.
    NOT_PORTABLE = {}
    # What the model's negative log-likelihood is, for a model that has one ("exact", "IWAE
    # bound"; `benchmarks.generative` reports it beside the NLL); None: no likelihood (a GAN).
    likelihood = None
    # What `sample` gives, for an image generator: "grey" levels, "binary" pixels (0 or 255), or
    # Bernoulli "means"; `benchmarks.generative` picks the real images to compare with by it.
    sample_pixels = "grey"

    def litert_shapes(self):
        """{input name: shape} fixing the open sizes (frames, tokens) that a LiteRT export cannot
        leave open, beside the batch of 1 that `zoo.exports.fixed_shapes` gives every batched
        input. Default: none."""
        return {}

    def onnx_shapes(self):
        """{input name: shape} fixing the open sizes of an ONNX export's inputs. Default: none
        (an ONNX export takes what the SavedModel takes)."""
        return {}

    def id_limit(self):
        """Integer inputs of `serving_signatures` other than scalars (token ids) take values in
        [0, id_limit()): the test inputs of `zoo.portable.parity_inputs` are drawn below it.
        Default: 2."""
        return 2

    _zoo_compile_args = None  # what a custom `compile()` was given (`_record_compile_args`)

    def _record_compile_args(self, **kwargs):
        self._zoo_compile_args = kwargs

    def get_compile_config(self):
        args = self._zoo_compile_args
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
        return keras_private.seed_generators_in_order(self)

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, with an empty answer for an empty batch (Keras' own fails on
        one with an internal error), and for inputs of another rank than the last call's (a
        single-channel image batch without its channel axis) a fresh function: Keras would
        relax its traced one to inputs of unknown rank, whose shape no check can then see."""
        shape, dtype = getattr(x, "shape", None), getattr(x, "dtype", None)
        if dtype is not None and np.dtype(getattr(dtype, "as_numpy_dtype", dtype)).kind in "USO":
            raise ValueError(f"{self.name}.predict takes a numeric array (see `serving_signatures`), got one of "
                             f"dtype {dtype}.")
        if shape is not None and len(shape) > 0 and shape[0] == 0:
            one = np.zeros((1, *shape[1:]), dtype=getattr(x.dtype, "as_numpy_dtype", x.dtype))
            return tf.nest.map_structure(lambda v: np.asarray(v)[:0], super().predict(one, verbose=0))
        ranks = tuple(len(v.shape) for v in tf.nest.flatten(x) if getattr(v, "shape", None) is not None)
        if ranks != getattr(self, "_predict_ranks", ranks):
            self.make_predict_function(force=True)
        self._predict_ranks = ranks
        return super().predict(x, *args, **kwargs)

    def serving_signatures(self):
        """{endpoint name: (function, [tf.TensorSpec, ...])} for `zoo.export`; the function
        returns a dict of named outputs. The first is `serving_default`."""
        raise NotImplementedError

    def serving_example(self, endpoint):
        """Example inputs of `endpoint`, as a TF Serving request would send them (the docs' REST
        requests are made from them): {input name: value}.

        `SERVING_EXAMPLES[endpoint]` gives a model's own values; any input it leaves out gets one
        example of zeros (a batch of one; a length the signature leaves open is 1), and a scalar
        input gets 1 (1.0, or "" for a string).

        Args:
            endpoint: a name from `serving_signatures()`.

        Returns:
            {input name: NumPy array or Python scalar}, one per input of the signature.

        Raises:
            KeyError: `endpoint` is not one of the model's signatures.

        Example:
            >>> import zoo
            >>> example = zoo.load("lstm_image_classifier").serving_example("serving_default")
            >>> example["images"].shape, example["images"].dtype.name
            ((1, 28, 28, 1), 'uint8')
        """
        _, specs = self.serving_signatures()[endpoint]
        own = self.SERVING_EXAMPLES.get(endpoint, {})
        example = {}
        for spec in specs:
            if spec.name in own:
                example[spec.name] = own[spec.name]
            elif spec.shape.rank == 0:
                example[spec.name] = "" if spec.dtype == tf.string else 1.0 if spec.dtype.is_floating else 1
            else:
                shape = [1 if d is None else d for d in spec.shape]
                example[spec.name] = (np.full(shape, "", object) if spec.dtype == tf.string
                                      else np.zeros(shape, spec.dtype.as_numpy_dtype))
        return example

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a strategy, Keras' TF trainer reads a batch from a fresh iterator before every
        # `fit` to build the model, even a built one, and then starts the data again: with a
        # pipeline that reshuffles on every pass, each epoch would see the order of the next
        # epoch of a one-device run. Our models are built when constructed; then there is
        # nothing to read a batch for.
        if iterator is not None and keras_private.all_layers_built(self):
            iterator = None
        return keras_private.symbolic_build(ZooModel, self, iterator=iterator, data_batch=data_batch)

    def step_logs(self, metrics=None):
        """What a train or test step returns: each metric's result by name. Across the workers
        of a multi-worker strategy Keras 3 averages the logs along axis 0, which a scalar does
        not have (tensorflow#72388): there each result goes out as a 1-element vector."""
        logs = {m.name: m.result() for m in (self.metrics if metrics is None else metrics)}
        strategy = tf.distribute.get_strategy()
        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        if multi_worker and keras_private.in_multi_worker_mode(strategy):
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    # Serving-input checks, the pixel convention and multi-device maths, as methods so a model
    # file needs no import.
    expect_shape = staticmethod(serving.expect_shape)
    expect_images = staticmethod(pixels.expect_images)
    checked_output = staticmethod(pixels.checked_output)
    as_output = staticmethod(pixels.as_output)
    image_shape_of = staticmethod(serving.image_shape_of)
    checked = staticmethod(serving.checked)
    checked_count = staticmethod(serving.checked_count)
    checked_batch = staticmethod(serving.checked_batch)
    checked_ids = staticmethod(serving.checked_ids)
    checked_total = staticmethod(serving.checked_total)
    replica_rows = staticmethod(replicas.replica_rows)
    global_mean = staticmethod(replicas.global_mean)
    apply_gradients = staticmethod(replicas.apply_gradients)
    per_replica = staticmethod(replicas.per_replica)


class ZooClassifier(ZooModel):
    """A classifier of raw inputs, trained by cross-entropy: what `lstm_image_classifier` and
    `cnn_lstm_video` share. Subclasses create their network in `__init__` and end it with
    `self.build(input_shape)` (there is nothing left to build: `build` does nothing), and
    implement `logits(inputs, training)`; `augment(inputs)` may change training inputs (the
    default leaves them)."""

    class_names = None  # the classes' names, returned by the serving signature where a model has them

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def build(self, input_shape):
        pass  # the sub-network was built in the constructor: Keras has no weights left to create

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
        knows them, class_name (not in a LiteRT or ONNX export, which carry numbers only)."""
        if serving.tracing_portable():
            return {"probabilities": probabilities, "class_id": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}
        outputs = {"probabilities": probabilities, "class_id": keras.ops.argmax(probabilities, axis=-1)}
        if self.class_names:
            outputs["class_name"] = tf.gather(tf.constant(self.class_names), outputs["class_id"])
        return outputs
