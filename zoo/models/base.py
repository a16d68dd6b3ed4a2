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

    A registered model (`zoo.registry.register_model`) subclasses it and provides:

    - a constructor whose keyword defaults are the model's configuration (`zoo.load`
      overrides them), each field documented in the class docstring's argument section
      (`zoo.config.argument_docs` reads it for `--help` and the docs site) and checked by
      `FIELD_CHECKS`; it creates the network and builds it, so a loaded model is built;
    - `get_config()` returning those fields, `call()` on raw inputs, and the training step;
    - `serving_signatures()`: the endpoints `zoo.export` writes.

    A subclass whose `compile()` takes its own arguments (a GAN's two optimizers) records them
    with `_record_compile_args(...)` and overrides `build_optimizers()`. The attributes below
    and `litert_shapes`, `onnx_shapes` and `id_limit` are the hooks the rest of the zoo asks a
    model; a model states those that differ from the defaults here. The other methods are
    helpers for a model's code: the serving-input checks of `zoo.models.serving`, the pixel
    convention of `zoo.models.pixels` and the multi-device maths of `zoo.models.replicas`, so
    a model file asks `self` and needs no import.

    Attributes:
        FIELD_CHECKS: {constructor argument: check} (`zoo.config` checks such as
            `at_least(1)`), applied by `zoo.config.check_fields` for `zoo.load`, the
            constructor and the command line alike. Default: {} (no checks).
        SERVING_EXAMPLES: {endpoint: {input name: value}}: the example requests the docs
            show (`serving_example`); an input left out gets zeros. Default: {}.
        NOT_PORTABLE: {endpoint: why LiteRT and ONNX exports leave it out} (`zoo.portable`,
            `zoo export`); every other endpoint of `serving_signatures` is exported in every
            format. Default: {}.
        likelihood: what the model's negative log-likelihood is, for a model that has one
            ("exact", "IWAE bound"; `benchmarks.generative` reports it beside the NLL).
            Default: None, no likelihood (a GAN).
        sample_pixels: what `sample` gives, for an image generator: "grey" levels (the
            default), "binary" pixels (0 or 255), or Bernoulli "means";
            `benchmarks.generative` picks the real images to compare with by it.
        FIELDS_ADDED: {field: value} of fields added after the model's configs were first
            saved: a saved config without the field was made with this value, whatever
            today's default is (`saved_config`). Default: {}.

    Examples:
        Every registered model is one, and says only what differs from the defaults:

        >>> import zoo
        >>> from zoo.models.base import ZooModel
        >>> all(issubclass(zoo.registry.get_entry(n).cls, ZooModel) for n in zoo.list_models())
        True
        >>> ZooModel.FIELD_CHECKS, ZooModel.NOT_PORTABLE
        ({}, {})
        >>> ZooModel.likelihood, ZooModel.sample_pixels
        (None, 'grey')
        >>> sorted(zoo.registry.get_entry("dcgan").cls.NOT_PORTABLE)
        ['sample']
    """

    # -- hooks: what the rest of the zoo asks a model, with the answer of a model that says nothing
    FIELD_CHECKS = {}  # {constructor argument: check} (`zoo.config` checks), applied by `check_fields`
    FIELDS_ADDED = {}  # {field: the value a saved config without it was made with}
    # {endpoint: {input: value}}: the example requests the docs show (`serving_example`).
    SERVING_EXAMPLES = {}
    # The most examples one request to an exported signature may carry in any batched input
    # (`request_limits`): past it, a clear error instead of a server out of memory.
    MAX_BATCH = 10_000
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
        """The sizes a LiteRT export fixes for the open axes of the model's inputs.

        A LiteRT export cannot leave open sizes such as frames or tokens. Beside the batch of
        1 that `zoo.exports.fixed_shapes` gives every batched input, these fix the others.

        Returns:
            dict: {input name: shape}. Default: {} (no open size but the batch).

        Examples:
            >>> import zoo
            >>> zoo.load("dcgan", latent_dim=8, width=8).litert_shapes()
            {}
        """
        return {}

    @classmethod
    def saved_config(cls, config):
        """A saved config (a `config.json`, a `.keras` file's) as the constructor takes it
        today: each field of `FIELDS_ADDED` it lacks gets the value it was saved with.

        Args:
            config: a dict of constructor fields, as `get_config` wrote it.

        Returns:
            A new dict.

        Examples:
            >>> from zoo.registry import get_entry
            >>> vae = get_entry("vae_conditional").cls
            >>> vae.saved_config({"num_classes": 10})["prior"]  # saved before the learned prior
            'normal'
        """
        return {**cls.FIELDS_ADDED, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Keras' `from_config`, for a config saved by an older version too (`saved_config`).

        Args:
            config: the dict `get_config` returned.
            custom_objects: passed to Keras.

        Returns:
            The model.
        """
        return super().from_config(cls.saved_config(config), custom_objects=custom_objects)

    def onnx_shapes(self):
        """The sizes an ONNX export fixes for the open axes of the model's inputs.

        Returns:
            dict: {input name: shape}. Default: {} (an ONNX export takes what the SavedModel
                takes).

        Examples:
            >>> import zoo
            >>> zoo.load("dcgan", latent_dim=8, width=8).onnx_shapes()
            {}
        """
        return {}

    def id_limit(self):
        """The exclusive upper bound of the model's integer inputs (token ids).

        Integer inputs of `serving_signatures` other than scalars take values in
        [0, id_limit()): the test inputs of `zoo.portable.parity_inputs` are drawn below it.

        Returns:
            int: the bound. Default: 2.

        Examples:
            >>> import zoo
            >>> zoo.load("dcgan", latent_dim=8, width=8).id_limit()
            2
        """
        return 2

    _zoo_compile_args = None  # what a custom `compile()` was given (`_record_compile_args`)

    def _record_compile_args(self, **kwargs):
        self._zoo_compile_args = kwargs

    def get_compile_config(self):
        """The compile configuration a `.keras` file saves.

        Returns:
            dict: the serialized arguments a custom `compile()` recorded with
                `_record_compile_args` (a GAN's two optimizers), or Keras' own compile config
                where none were recorded.
        """
        args = self._zoo_compile_args
        if args is None:
            return super().get_compile_config()
        return serialize_keras_object(args)

    def compile_from_config(self, config):
        """Re-runs the model's own `compile()` from a saved compile configuration.

        Keras skips a custom `compile()` on load and warns; that is how a resumed run silently
        starts from fresh optimizer state (keras-io#729). This runs it again, and builds the
        optimizers' variables when the model is built, so their saved state has a place to go.

        Args:
            config: what `get_compile_config()` returned when the model was saved.
        """
        self.compile(**deserialize_keras_object(config))
        if self.built:
            self.build_optimizers()

    def build_optimizers(self):
        """Creates the optimizer's variables (its slots) now.

        A `.keras` load then has variables to restore into, and a `tf.distribute` strategy
        creates them inside its scope. A model with several optimizers (a GAN) builds each.

        Examples:
            >>> import zoo
            >>> model = zoo.load("lstm_image_classifier", units=8)
            >>> model.optimizer.built
            False
            >>> model.build_optimizers()
            >>> model.optimizer.built
            True
        """
        self.optimizer.build(self.trainable_variables)

    def save_own_variables(self, store):
        """Saves the model's own variables and the state of its random seed generators.

        Keras saves variables but not the state of SeedGenerators (the model's and its dropout
        layers'), so a reloaded model would replay random draws it already made; saved here,
        a resumed run continues the same random stream.

        Args:
            store: the dict-like store Keras writes the model's variables into; each
                generator's state goes under `seed_generator_state_<i>`.
        """
        super().save_own_variables(store)
        for i, generator in enumerate(self._seed_generators_in_order()):
            store[f"{_SEED_KEY}{i}"] = generator.state.numpy()

    def load_own_variables(self, store):
        """Loads what `save_own_variables` saved: the variables, then the seed generators' state.

        Args:
            store: the dict-like store Keras reads the model's variables from; a generator
                whose state it lacks (a file saved before it existed) keeps its own.
        """
        keys = list(store.keys())
        super().load_own_variables({k: store[k] for k in keys if not k.startswith(_SEED_KEY)})
        for i, generator in enumerate(self._seed_generators_in_order()):
            if f"{_SEED_KEY}{i}" in keys:
                generator.state.assign(store[f"{_SEED_KEY}{i}"])

    def _seed_generators_in_order(self):
        return keras_private.seed_generators_in_order(self)

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, answering an empty batch and inputs of a changed rank.

        An empty batch gets an empty answer (Keras' own `predict` fails on one with an
        internal error). Inputs of another rank than the last call's (a single-channel image
        batch without its channel axis) get a fresh function: Keras would relax its traced one
        to inputs of unknown rank, whose shape no check can then see.

        Args:
            x: the inputs, as the model's `call` takes them (raw pixels for an image model).
            *args: passed on to `keras.Model.predict` (`batch_size`, `verbose`, ...).
            **kwargs: passed on likewise.

        Returns:
            What `keras.Model.predict` returns: NumPy arrays of the model's outputs, with 0
                rows for an empty batch.

        Raises:
            ValueError: if `x` is an array of strings or objects rather than numbers, or (the
                model's own checks) of a shape the model does not take.

        Examples:
            >>> import numpy as np
            >>> import zoo
            >>> model = zoo.load("lstm_image_classifier", image_shape=(8, 8, 1), units=4)
            >>> model.predict(np.zeros((0, 8, 8, 1), "uint8"), verbose=0).shape
            (0, 10)
            >>> model.predict(np.zeros((3, 8, 8), "uint8"), verbose=0).shape  # no channel axis
            (3, 10)
            >>> model.predict(np.array([["7"]]))
            Traceback (most recent call last):
            ...
            ValueError: ...predict takes a numeric array (see ...), got one of dtype <U1.
        """
        dtype = getattr(x, "dtype", None)
        if dtype is not None and np.dtype(getattr(dtype, "as_numpy_dtype", dtype)).kind in "USO":
            raise ValueError(f"{self.name}.predict takes a numeric array (see `serving_signatures`), got one of "
                             f"dtype {dtype}.")
        arrays = [v for v in tf.nest.flatten(x) if getattr(v, "shape", None) is not None and len(v.shape) > 0]
        if arrays and all(v.shape[0] == 0 for v in arrays):  # every input empty (a model's labels too)
            def one(v):
                return np.zeros((1, *v.shape[1:]), dtype=getattr(v.dtype, "as_numpy_dtype", v.dtype))

            answer = super().predict(tf.nest.map_structure(one, x), verbose=0)
            return tf.nest.map_structure(lambda v: np.asarray(v)[:0], answer)
        ranks = tuple(len(v.shape) for v in tf.nest.flatten(x) if getattr(v, "shape", None) is not None)
        if ranks != getattr(self, "_predict_ranks", ranks):
            self.make_predict_function(force=True)
        self._predict_ranks = ranks
        return super().predict(x, *args, **kwargs)

    def write_samples(self, samples, output, prefix="sample"):
        """Writes what `sample` drew as files a person opens (`zoo sample`): images by default.

        One PNG per sample in the folder `output`, or one grid where `output` ends in `.png`
        (`zoo.files.write_images`). A generator of something else (music) overrides it.

        Args:
            samples: what `sample` returned (uint8 images [n, h, w, c] here).
            output: a folder, or a `.png` file for one grid.
            prefix: the files' name before their number.

        Returns:
            list: the paths written.

        Examples:
            >>> import pathlib, tempfile
            >>> import numpy as np
            >>> import zoo
            >>> gan = zoo.load("dcgan", latent_dim=8, width=8)
            >>> [p.name for p in gan.write_samples(np.zeros((2, 28, 28, 1), "uint8"), pathlib.Path(tempfile.mkdtemp()))]
            ['sample-000.png', 'sample-001.png']
        """
        from zoo import files

        return files.write_images(samples, output, prefix=prefix)

    def serving_signatures(self):
        """The endpoints `zoo.export` writes, each a function and its input specs.

        Each function takes the inputs its specs name and returns a dict of named outputs;
        the first endpoint is `serving_default`. A subclass must implement it.

        Returns:
            dict: {endpoint name: (function, [tf.TensorSpec, ...])}.

        Raises:
            NotImplementedError: here, in the base class.

        Examples:
            >>> import tensorflow as tf
            >>> import zoo
            >>> model = zoo.load("dcgan", latent_dim=8, width=8)
            >>> list(model.serving_signatures())
            ['serving_default', 'sample']
            >>> fn, specs = model.serving_signatures()["serving_default"]
            >>> [spec.name for spec in specs], fn(tf.zeros((2, 8)))["images"].shape
            (['latent'], TensorShape([2, 28, 28, 1]))
        """
        raise NotImplementedError

    def request_limits(self):
        """How large one request to each exported signature may be: {endpoint: {input: {axis:
        most}}}. Every export refuses a request past these with "<input> must hold at most N ..."
        before computing any of it.

        By default every batched input holds at most `MAX_BATCH` examples; a model adds its own
        (a text model's sequence length). Counts (`num_images`, …) are bounded by the
        signatures themselves (`checked_count`).

        Returns:
            dict: {endpoint: {input name: {axis: the most it may hold}}}.

        Examples:
            >>> import zoo
            >>> zoo.load("lstm_image_classifier").request_limits()
            {'serving_default': {'images': {0: 10000}}}
        """
        return {endpoint: {s.name: {0: self.MAX_BATCH} for s in specs if s.shape.rank and s.shape[0] is None}
                for endpoint, (_, specs) in self.serving_signatures().items()}

    def serving_example(self, endpoint):
        """Example inputs of `endpoint`, as a TF Serving request would send them.

        The docs' REST requests are made from them. `SERVING_EXAMPLES[endpoint]` gives a
        model's own values; any input it leaves out gets one example of zeros (a batch of one;
        a length the signature leaves open is 1), and a scalar input gets 1 (1.0, or "" for a
        string).

        Args:
            endpoint: a name from `serving_signatures()`.

        Returns:
            dict: {input name: NumPy array or Python scalar}, one per input of the signature.

        Raises:
            KeyError: if `endpoint` is not one of the model's signatures.

        Examples:
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
        """What a train or test step returns: each metric's result by name.

        Across the workers of a multi-worker strategy Keras 3 averages the logs along axis 0,
        which a scalar does not have (tensorflow#72388): there each result goes out as a
        1-element vector.

        Args:
            metrics: the metrics to report; None (the default): `self.metrics`.

        Returns:
            dict: {metric name: its result}, scalar tensors (1-element vectors under a
                multi-worker strategy).

        Examples:
            >>> import zoo
            >>> model = zoo.load("lstm_image_classifier", units=8)
            >>> {name: float(value) for name, value in model.step_logs().items()}
            {'loss': 0.0, 'accuracy': 0.0}
        """
        logs = {m.name: m.result() for m in (self.metrics if metrics is None else metrics)}
        strategy = tf.distribute.get_strategy()
        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        if multi_worker and keras_private.in_multi_worker_mode(strategy):
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    # Serving-input checks, the pixel convention and multi-device maths, as methods so a model
    # file needs no import. Each calls the function of the same name in `zoo.models.serving`,
    # `zoo.models.pixels` or `zoo.models.replicas`.
    @staticmethod
    def expect_shape(x, sizes, name):
        """`x`, once its static shape is seen to fit `sizes`.

        A wrong shape is refused here, with a message naming the input and both shapes, rather
        than failing deep inside the network or being reshaped into a wrong answer (a lone
        28×28×1 image read as 28 rows). Where the static shape leaves a fixed size (or the
        rank) open, as in a function traced with relaxed shapes, the check runs with the
        function and fails with the same message. (`zoo.models.serving.expect_shape`.)

        Args:
            x: a tensor or array.
            sizes: the expected shape, batch first; None for a size that may be anything.
            name: what `x` is, for the message ("latent vectors").

        Returns:
            `x` itself, or (where its static shape is not fully known) `x` with run-time
                checks of its shape.

        Raises:
            ValueError: if `x` is not a numeric array, or its shape does not fit `sizes`.

        Examples:
            >>> import numpy as np
            >>> ZooModel.expect_shape(np.zeros((2, 3)), (None, 3), "latent vectors").shape
            (2, 3)
            >>> ZooModel.expect_shape(np.zeros((2, 4)), (None, 3), "latent vectors")
            Traceback (most recent call last):
            ...
            ValueError: latent vectors must have shape [batch, 3], got [2, 4].
        """
        return serving.expect_shape(x, sizes, name)

    @staticmethod
    def expect_images(x, sizes, name):
        """`x` with its channel axis, once its shape is seen to fit `sizes`.

        Single-channel images may come without the channel axis, which is added: a
        [batch, 28, 28] array is a batch of 28×28 images, never 28 rows. Then as
        `expect_shape`. (`zoo.models.pixels.expect_images`.)

        Args:
            x: images (or clips), raw pixels.
            sizes: the expected shape, batch first, ending in height, width, channels; None
                for a size that may be anything.
            name: what `x` is, for the message ("images").

        Returns:
            `x`, with a channel axis added where it had none.

        Raises:
            ValueError: if `x` is not a numeric array, or its shape fits neither `sizes` nor
                (for one channel) `sizes` without the channel axis.

        Examples:
            >>> import numpy as np
            >>> ZooModel.expect_images(np.zeros((2, 28, 28)), (None, 28, 28, 1), "images").shape
            TensorShape([2, 28, 28, 1])
            >>> ZooModel.expect_images(np.zeros((28, 28, 1)), (None, 28, 28, 1), "images")
            Traceback (most recent call last):
            ...
            ValueError: images must have shape [batch, 28, 28, 1] (or [batch, 28, 28]), got ...
        """
        return pixels.expect_images(x, sizes, name)

    @staticmethod
    def checked_output(output):
        """`output`, once it is seen to be "uint8" or "float".

        Checked before a method draws anything: a pixel-by-pixel draw takes seconds.
        (`zoo.models.pixels.checked_output`.)

        Args:
            output: what a method that gives images was asked for.

        Returns:
            str: `output` itself.

        Raises:
            ValueError: if `output` is neither "uint8" nor "float".

        Examples:
            >>> ZooModel.checked_output("float")
            'float'
            >>> ZooModel.checked_output("png")
            Traceback (most recent call last):
            ...
            ValueError: output must be 'uint8' (images, the default) or 'float' (...), got 'png'.
        """
        return pixels.checked_output(output)

    @staticmethod
    def as_output(values, output):
        """Image values in [0, 1] as `output` asks.

        (`zoo.models.pixels.as_output`.)

        Args:
            values: pixel values in [0, 1] (a tensor or array).
            output: "uint8": round(255 · value), as the exported signatures give them;
                "float": the values themselves.

        Returns:
            A uint8 tensor of the same shape, or `values` unchanged.

        Raises:
            ValueError: if `output` is neither "uint8" nor "float".

        Examples:
            >>> import tensorflow as tf
            >>> ZooModel.as_output(tf.constant([0.0, 0.5, 1.0]), "uint8").numpy().tolist()
            [0, 128, 255]
        """
        return pixels.as_output(values, output)

    @staticmethod
    def image_shape_of(value, divisible_by=1, field="image_shape"):
        """`value` as a (height, width, channels) tuple of ints.

        (`zoo.models.serving.image_shape_of`.)

        Args:
            value: a sequence of three sizes (a list from a JSON config, a tuple).
            divisible_by: what the height and width must be multiples of (the networks'
                upsampling or strides). Default: 1.
            field: the configuration field the error names. Default: "image_shape".

        Returns:
            tuple: (height, width, channels).

        Raises:
            zoo.ConfigError: (a ValueError) if `value` is not three positive sizes, or the
                height or width is not a multiple of `divisible_by`.

        Examples:
            >>> ZooModel.image_shape_of([28, 28, 1])
            (28, 28, 1)
            >>> ZooModel.image_shape_of((30, 30, 1), divisible_by=4)
            Traceback (most recent call last):
            ...
            zoo.errors.ConfigError: image_shape must be (height, width, channels) of positive sizes ...
        """
        return serving.image_shape_of(value, divisible_by, field)

    @staticmethod
    def checked(tensor, spec):
        """`tensor` after run-time checks against `spec`, for a serving function's input.

        Checked are its rank and fixed sizes, at least one step along every open axis but the
        batch (a clip of no frames, a sequence of no tokens), and finite values for a float.
        A loaded signature does not check shapes itself: without this a wrong shape would fail
        deep inside the network, or worse, be reshaped into an answer. An empty batch passes:
        it gets an empty answer. Left out when tracing for LiteRT and ONNX.
        (`zoo.models.serving.checked`.)

        Args:
            tensor: the input as the signature received it.
            spec: its `tf.TensorSpec` (None: any size), whose name the messages use.

        Returns:
            tf.Tensor: `tensor`, once the checks pass.

        Raises:
            ValueError: where the rank is wrong and statically known.
            tf.errors.InvalidArgumentError: (when run) if a fixed size is wrong, an open axis
                is empty, or a float holds NaN or infinity.

        Examples:
            >>> import tensorflow as tf
            >>> spec = tf.TensorSpec((None, 3), tf.float32, name="latent")
            >>> ZooModel.checked(tf.zeros((2, 3)), spec).shape
            TensorShape([2, 3])
            >>> try:
            ...     ZooModel.checked(tf.zeros((2, 4)), spec)
            ... except tf.errors.InvalidArgumentError as e:
            ...     print(e.message.splitlines()[0])
            latent must have shape [batch, 3] and dtype float32
        """
        return serving.checked(tensor, spec)

    @staticmethod
    def checked_count(tensor, spec, most):
        """A count setting, such as the number of images to draw, checked to lie in [1, most].

        A larger request would exhaust the serving process's memory.
        (`zoo.models.serving.checked_count`.)

        Args:
            tensor: the count, an integer scalar tensor.
            spec: its `tf.TensorSpec`, whose name the messages use.
            most: the largest count allowed.

        Returns:
            tf.Tensor: `tensor`, once the checks pass.

        Raises:
            tf.errors.InvalidArgumentError: (when run) if the count is below 1 or above
                `most`.

        Examples:
            >>> import tensorflow as tf
            >>> spec = tf.TensorSpec((), tf.int32, name="num_images")
            >>> int(ZooModel.checked_count(tf.constant(4), spec, 10))
            4
            >>> try:
            ...     ZooModel.checked_count(tf.constant(11), spec, 10)
            ... except tf.errors.InvalidArgumentError as e:
            ...     print(e.message.splitlines()[0])
            num_images must be at most 10
        """
        return serving.checked_count(tensor, spec, most)

    @staticmethod
    def checked_batch(tensor, spec, most, endpoint):
        """`tensor`, once its batch is seen to hold at most `most` examples.

        What one request to `endpoint` may carry before it would exhaust the serving
        process's memory or time. (`zoo.models.serving.checked_batch`.)

        Args:
            tensor: a batched input.
            spec: its `tf.TensorSpec`, whose name the message uses.
            most: the most examples one request may carry.
            endpoint: the endpoint's name, for the message.

        Returns:
            tf.Tensor: `tensor`, once the check passes.

        Raises:
            tf.errors.InvalidArgumentError: (when run) if the batch is larger than `most`.

        Examples:
            >>> import tensorflow as tf
            >>> spec = tf.TensorSpec((None, 3), tf.float32, name="latent")
            >>> ZooModel.checked_batch(tf.zeros((2, 3)), spec, 2, "serving_default").shape
            TensorShape([2, 3])
            >>> try:
            ...     ZooModel.checked_batch(tf.zeros((3, 3)), spec, 2, "serving_default")
            ... except tf.errors.InvalidArgumentError as e:
            ...     print(e.message.splitlines()[0])
            latent must hold at most 2 examples per serving_default request; send the rest ...
        """
        return serving.checked_batch(tensor, spec, most, endpoint)

    @staticmethod
    def checked_ids(ids, size, message):
        """`ids`, once every one is seen to lie in [0, size).

        The checks are control dependencies of what is returned: an assert beside the
        computation may run after an embedding lookup has already failed on the id with an
        error naming no input. (`zoo.models.serving.checked_ids`.)

        Args:
            ids: an integer tensor of ids (tokens).
            size: the number of valid ids (a vocabulary's size).
            message: the error message for an id out of range.

        Returns:
            tf.Tensor: `ids`, once the checks pass.

        Raises:
            tf.errors.InvalidArgumentError: (when run) with `message`, if an id is negative
                or at least `size`.

        Examples:
            >>> import tensorflow as tf
            >>> ZooModel.checked_ids(tf.constant([0, 4]), 5, "ids must lie in [0, 5)").numpy()
            array([0, 4], dtype=int32)
            >>> try:
            ...     ZooModel.checked_ids(tf.constant([0, 5]), 5, "ids must lie in [0, 5)")
            ... except tf.errors.InvalidArgumentError as e:
            ...     print(e.message.splitlines()[0])
            ids must lie in [0, 5)
        """
        return serving.checked_ids(ids, size, message)

    @staticmethod
    def checked_total(tensor, total, most, message):
        """`tensor`, once `total`, a size computed from the request, is seen to be at most `most`.

        For a limit on something other than the batch, e.g. the frames (batch × frames) a
        video request carries. (`zoo.models.serving.checked_total`.)

        Args:
            tensor: the input to pass on.
            total: an int64 scalar tensor computed from the request.
            most: the largest `total` allowed.
            message: the error message when `total` is larger.

        Returns:
            tf.Tensor: `tensor`, once the check passes.

        Raises:
            tf.errors.InvalidArgumentError: (when run) with `message`, if `total` exceeds
                `most`.

        Examples:
            >>> import tensorflow as tf
            >>> video = tf.zeros((2, 3, 8, 8, 1))
            >>> frames = tf.constant(6, tf.int64)
            >>> ZooModel.checked_total(video, frames, 10, "too many frames").shape
            TensorShape([2, 3, 8, 8, 1])
            >>> try:
            ...     ZooModel.checked_total(video, frames, 4, "too many frames")
            ... except tf.errors.InvalidArgumentError as e:
            ...     print(e.message.splitlines()[0])
            too many frames
        """
        return serving.checked_total(tensor, total, most, message)

    @staticmethod
    def replica_rows(draw, batch):
        """`draw(n)`, a random tensor of n rows, for this replica's `batch` rows.

        Under a `tf.distribute` strategy every replica holds the same generator state, so each
        draws for the whole global batch and keeps its own rows: the replicas' draws differ
        from one another, and together they are the draw one device would make for the global
        batch. On one device it is `draw(batch)`. (`zoo.models.replicas.replica_rows`.)

        Args:
            draw: a function of a row count n returning a tensor with n rows.
            batch: this replica's number of rows.

        Returns:
            tf.Tensor: `batch` rows of the draw.

        Examples:
            >>> import keras
            >>> noise = ZooModel.replica_rows(lambda n: keras.random.normal((n, 4), seed=0), 3)
            >>> noise.shape
            TensorShape([3, 4])
        """
        return replicas.replica_rows(draw, batch)

    @staticmethod
    def global_mean(value):
        """The mean of a per-replica scalar over all replicas (the value itself on one device).

        For state every replica must update alike, such as a moving average.
        (`zoo.models.replicas.global_mean`.)

        Args:
            value: this replica's value, a scalar tensor.

        Returns:
            tf.Tensor: the mean over the replicas.

        Examples:
            >>> import tensorflow as tf
            >>> float(ZooModel.global_mean(tf.constant(2.0)))
            2.0
        """
        return replicas.global_mean(value)

    @staticmethod
    def apply_gradients(optimizer, gradients, variables):
        """`optimizer.apply(gradients, variables)`, with its gradient clipping done right.

        Under a strategy Keras clips each replica's share of the gradient before the replicas'
        shares are summed, which is not the clipped gradient one device would apply; here the
        shares are summed first, the sum clipped as the optimizer would clip it, and each
        replica passes an equal part of the result to the optimizer. On one device, or
        without clipping, it is `optimizer.apply`. (`zoo.models.replicas.apply_gradients`.)

        Args:
            optimizer: a Keras optimizer (its `clipnorm`, `global_clipnorm` or `clipvalue`
                apply).
            gradients: one gradient per variable (None for a variable not used).
            variables: the variables to update.

        Returns:
            What `optimizer.apply` returns.

        Examples:
            >>> import keras
            >>> import tensorflow as tf
            >>> weight = keras.Variable([1.0])
            >>> optimizer = keras.optimizers.SGD(learning_rate=0.5)
            >>> _ = ZooModel.apply_gradients(optimizer, [tf.constant([1.0])], [weight])
            >>> weight.numpy().tolist()
            [0.5]
        """
        return replicas.apply_gradients(optimizer, gradients, variables)

    @staticmethod
    def per_replica(loss):
        """A global-batch mean divided by the replica count (itself on one device).

        Gradients are summed across replicas, and hand-written reductions are not scaled by
        Keras: a loss is scaled by this before its gradient is taken.
        (`zoo.models.replicas.per_replica`.)

        Args:
            loss: a scalar loss, the mean over the global batch.

        Returns:
            tf.Tensor: `loss` / the number of replicas in sync.

        Examples:
            >>> import tensorflow as tf
            >>> float(ZooModel.per_replica(tf.constant(3.0)))
            3.0
        """
        return replicas.per_replica(loss)


class ZooClassifier(ZooModel):
    """A classifier of raw inputs, trained by cross-entropy.

    What `lstm_image_classifier` and `cnn_lstm_video` share. Subclasses create their network
    in `__init__` and end it with `self.build(input_shape)` (there is nothing left to build:
    `build` does nothing), and implement `logits(inputs, training)`; `augment(inputs)` may
    change training inputs (the default leaves them). The model's `call` gives class
    probabilities; its serving outputs (`classification_outputs`) add the class id and, where
    the model knows them, the class name.

    Attributes:
        class_names: the classes' names, returned by the serving signature where a model has
            them (None: no names).
        loss_tracker: the mean cross-entropy of the steps so far (`keras.metrics.Mean`).
        accuracy: their accuracy (`keras.metrics.SparseCategoricalAccuracy`).

    Examples:
        >>> import numpy as np
        >>> import zoo
        >>> model = zoo.load("lstm_image_classifier", units=8)
        >>> isinstance(model, ZooClassifier)
        True
        >>> probabilities = model(np.zeros((2, 28, 28, 1), "uint8"))
        >>> probabilities.shape, round(float(probabilities.numpy().sum()), 3)
        (TensorShape([2, 10]), 2.0)
    """

    class_names = None  # the classes' names, returned by the serving signature where a model has them

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def build(self, input_shape):
        """Does nothing: the sub-network was built in the constructor.

        Args:
            input_shape: the inputs' shape (Keras passes it; unused).
        """
        pass  # the sub-network was built in the constructor: Keras has no weights left to create

    def compile(self, optimizer="adam", **kwargs):
        """Keras' compile with Adam as the default; the loss is the model's own.

        Args:
            optimizer: a Keras optimizer or its name. Default: "adam".
            **kwargs: passed on to `keras.Model.compile` (no loss: the model's own
                cross-entropy is used).
        """
        super().compile(optimizer=optimizer, **kwargs)

    @property
    def metrics(self):
        """The metrics a step updates and reports: the loss and the accuracy.

        Returns:
            list: `[loss_tracker, accuracy]`.
        """
        return [self.loss_tracker, self.accuracy]

    def call(self, inputs, training=False):
        """Raw inputs → class probabilities [batch, num_classes].

        Args:
            inputs: raw inputs, as `logits` takes them (pixels 0..255).
            training: whether to run in training mode (dropout). Default: False.

        Returns:
            tf.Tensor: float32 class probabilities [batch, num_classes], the softmax of
                `logits`.
        """
        return keras.ops.softmax(self.logits(inputs, training=training))

    def logits(self, inputs, training=False):
        """Raw inputs → class logits [batch, num_classes]; each subclass implements it.

        Args:
            inputs: raw inputs (pixels 0..255, any number type).
            training: whether to run in training mode (dropout). Default: False.

        Returns:
            tf.Tensor: float32 logits [batch, num_classes].

        Raises:
            NotImplementedError: here, in the base class.

        Examples:
            >>> import numpy as np
            >>> import zoo
            >>> model = zoo.load("lstm_image_classifier", units=8)
            >>> model.logits(np.zeros((2, 28, 28, 1), "uint8")).shape
            TensorShape([2, 10])
        """
        raise NotImplementedError

    def augment(self, inputs):
        """Training inputs as the training step sees them; the default leaves them.

        A subclass changes them (e.g. `lstm_image_classifier`'s random shifts); `train_step`
        calls it, `test_step` does not.

        Args:
            inputs: a batch of raw training inputs.

        Returns:
            The inputs to train on: here `inputs` itself.

        Examples:
            >>> import numpy as np
            >>> batch = np.zeros((2, 28, 28, 1), "uint8")
            >>> ZooClassifier().augment(batch) is batch
            True
        """
        return inputs

    def train_step(self, data):
        """One optimizer step on a batch: cross-entropy of `logits` on `augment`ed inputs.

        Args:
            data: (inputs, labels) from the training dataset; labels are class ids [batch].

        Returns:
            dict: the metrics so far (`step_logs`): loss and accuracy.
        """
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
        """Measures a batch: the cross-entropy and accuracy of `logits` (no augmentation).

        Args:
            data: (inputs, labels); labels are class ids [batch].

        Returns:
            dict: the metrics so far (`step_logs`): loss and accuracy.
        """
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
        """The serving outputs of a classifier, from its class probabilities.

        `class_name` is given when the model knows its classes' names, but not in a LiteRT or
        ONNX export, which carry numbers only.

        Args:
            probabilities: class probabilities [batch, num_classes] (what `call` returns).

        Returns:
            dict: "probabilities" as given; "class_id", the most probable class, int32
                [batch]; and where the model has `class_names`, "class_name", a string
                [batch].

        Examples:
            >>> import tensorflow as tf
            >>> import zoo
            >>> model = zoo.load("lstm_image_classifier", units=8, num_classes=2,
            ...                  class_names=["cat", "dog"])
            >>> outputs = model.classification_outputs(tf.constant([[0.9, 0.1], [0.2, 0.8]]))
            >>> outputs["class_id"].numpy().tolist(), outputs["class_name"].numpy().tolist()
            ([0, 1], [b'cat', b'dog'])
        """
        if serving.tracing_portable():
            return {"probabilities": probabilities, "class_id": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}
        outputs = {"probabilities": probabilities, "class_id": keras.ops.argmax(probabilities, axis=-1)}
        if self.class_names:
            outputs["class_name"] = tf.gather(tf.constant(self.class_names), outputs["class_id"])
        return outputs
