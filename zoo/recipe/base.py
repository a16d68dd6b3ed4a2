"""`Recipe`: how one registered model is trained and measured.

The base class owns the run, the same for every model; a recipe overrides the hooks it needs
(each declared here, with its default) and states its settings as a dataclass
(`zoo.recipe.settings`)."""

import dataclasses
import functools
import json
import sys

import keras

from zoo import atomic, runs
from zoo import config as cfg
from zoo.recipe import finetune
from zoo.recipe.settings import EvaluateSettings, TrainSettings, run_settings
from zoo.registry import get_entry
from zoo.training import adam_cosine, distribute, fit, save_trained

BEFORE_TRAINING = ".before_training.json"  # `before_training`'s sections, kept until the card has them


@dataclasses.dataclass
class Results:
    """What `Recipe.measure` found in a trained model.

    The run hands it to `pictures` and `card_sections` and writes its metrics and sections
    into the card.

    Attributes:
        metrics: the card's metrics, measured as `Recipe.evaluate` re-measures them.
        sections: card sections beside the metrics (e.g. a table by temperature); default {}.
        artefacts: what the pictures are drawn from (predictions, example frames): not saved;
            default {}.

    Examples:
        >>> from zoo.recipe import Results
        >>> results = Results({"test_nll": 80.5})
        >>> results.metrics, results.sections, results.artefacts
        ({'test_nll': 80.5}, {}, {})
    """

    metrics: dict
    sections: dict = dataclasses.field(default_factory=dict)
    artefacts: dict = dataclasses.field(default_factory=dict)


class Recipe:
    """How one registered model is trained and measured.

    A run (`run`) goes:

        strategy → seed → data → `before_training` → model built (in the strategy's scope) →
        `compile` → fit → `measure` → `pictures` → weights, config and model card written

    A recipe sets `name` and `Settings` and supplies `load_data`, `measure` and `evaluate`; the
    other hooks have defaults. Its flags are its `Settings` plus the model's own fields
    (`zoo.config.model_fields`), so a model setting is declared once, by the model. A recipe
    module holds one instance, `RECIPE`, which `zoo train <name>` runs.

    Attributes:
        name: the registered model it trains; also the default output folder's name.
        Settings: its settings dataclass (`TrainSettings` or a subclass): one flag per field.
        Measurement: settings of how the card's numbers are measured (a dataclass, e.g. the
            VAE's number of importance samples): a base of `Settings`, and with
            `EvaluateSettings` the flags of `zoo evaluate` (`evaluate_class`); None for none.
        model_defaults: model fields whose default for training differs from the model's.
        derived_fields: model fields the recipe sets itself (from the data), not flags.
        smoke: settings (and model fields) that shrink the run to seconds: `--smoke`.
        benchmark_note: what `benchmarks.run` should say beside the model's FLOP count.
        command: the command that runs the recipe, for its `--help` (default:
            `zoo train <name>`).
        answers: the question from the articles the zoo grew from that this model answers
            (its docs page).

    Examples:
        >>> from zoo.recipe import Recipe
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("vae").recipe()
        >>> isinstance(recipe, Recipe), recipe.name, recipe.derived_fields
        (True, 'vae', ('image_shape',))
        >>> config = recipe.config(epochs=1, latent_dim=2)
        >>> config.epochs, config.latent_dim, config.batch_size
        (1, 2, 128)
    """

    name: str  # the registered model it trains; also the default output folder's name
    Settings = TrainSettings
    # Settings of how the card's numbers are measured (a dataclass, e.g. the VAE's number of
    # importance samples): a base of `Settings`, and with `EvaluateSettings` the flags of
    # `zoo evaluate` (`evaluate_class`).
    Measurement = None
    model_defaults: dict = {}  # model fields whose default for training differs from the model's
    derived_fields: tuple = ()  # model fields the recipe sets itself (from the data), not flags
    smoke: dict = {}  # settings (and model fields) that shrink the run to seconds: --smoke
    benchmark_note: str = ""  # what `benchmarks.run` should say beside the model's FLOP count
    command: str = ""  # the command that runs the recipe, for its --help (default: zoo train <name>)
    # The question from the articles the zoo grew from that this model answers (its docs page).
    answers: str = ""

    # -- hooks: what a recipe supplies -----------------------------------------------------------

    def load_data(self, config):
        """The run's data. Override to read it (every recipe must).

        Args:
            config: the run's validated config (an instance of `config_class()`).

        Returns:
            A `zoo.data.Splits`: train batches, validation and test datasets, and the dataset's
            `info` for the card.

        Raises:
            NotImplementedError: the recipe does not define it.
        """
        raise NotImplementedError(f"{type(self).__name__} must define load_data(config)")

    def derived(self, config, data):
        """The `derived_fields` of the model for this run's data (e.g. image shape, classes).

        Override when the recipe has `derived_fields`.

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits`.

        Returns:
            A dict {model field: value}; by default {}.
        """
        return {}

    def before_training(self, config, data, output, strategy):
        """Work before the model trains whose results go into the card (a baseline).

        Override to measure something before training. Its sections are kept in the output
        folder until the card is written, so a resumed run does not do it again; the seeds are
        set again afterwards, so the model starts as it would without that work.

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits`.
            output: the run's output folder (a `pathlib.Path`).
            strategy: the run's `tf.distribute` strategy.

        Returns:
            A dict of card sections (JSON-able); by default {}.
        """
        return {}

    def compile(self, model, config, data):
        """Compiles `model` (built inside the strategy's scope).

        By default Adam at `--learning-rate` with a short warm-up and cosine decay over the
        run's steps, gradients clipped to `clipnorm(config)`. Override for other optimizers (a
        GAN's two).

        Args:
            model: the run's freshly built model.
            config: the run's config (`learning_rate`, `epochs`).
            data: the run's `zoo.data.Splits` (`data.train.steps`: steps per epoch).
        """
        model.compile(optimizer=adam_cosine(config.learning_rate, config.epochs, data.train.steps,
                                            clipnorm=self.clipnorm(config)))

    def clipnorm(self, config):
        """The global gradient norm the default `compile` clips to.

        1.0 by default, as recurrent networks' gradients spike now and then early in training;
        override to change it (None: no clipping).

        Args:
            config: the run's config.

        Returns:
            The norm (a float), or None for no clipping.

        Examples:
            >>> from zoo.registry import get_entry
            >>> classifier = get_entry("lstm_image_classifier").recipe()
            >>> vae = get_entry("vae").recipe()
            >>> classifier.clipnorm(None), vae.clipnorm(None)  # a VAE's gradients do not spike
            (1.0, None)
        """
        return 1.0

    def jit_compile(self, config):
        """Whether the recipe XLA-compiles its training step: off unless a recipe says otherwise.

        `benchmarks.run` measures the other setting too. Override to turn it on (see `xla`
        for where it applies).

        Args:
            config: the run's config.

        Returns:
            A bool; by default False.
        """
        return False

    def epochs(self, config):
        """Epochs of the one `fit` (a recipe of two phases counts both).

        Override where the epochs are not `config.epochs` (e.g. maximum likelihood, then
        adversarial epochs).

        Args:
            config: the run's config.

        Returns:
            The number of epochs (an int); by default `config.epochs`.
        """
        return config.epochs

    def callbacks(self, model, config, data, output):
        """Callbacks of the recipe's own beside the run's (`zoo.training.fit`'s).

        Override to add some (e.g. a grid of samples after every epoch).

        Args:
            model: the run's model.
            config: the run's config.
            data: the run's `zoo.data.Splits`.
            output: the run's output folder (a `pathlib.Path`).

        Returns:
            A list of `keras.callbacks.Callback`; by default [].
        """
        return []

    def measure(self, model, config, data):
        """`Results` of the trained `model`: its metrics measured as `evaluate` re-measures them.

        Override to measure the model (every recipe must).

        Args:
            model: the trained model (float32, as `zoo.load` gives it).
            config: the run's config.
            data: the run's `zoo.data.Splits`.

        Returns:
            The `Results`: the card's metrics, sections and the pictures' artefacts.

        Raises:
            NotImplementedError: the recipe does not define it.
        """
        raise NotImplementedError(f"{type(self).__name__} must define measure(model, config, data)")

    def evaluate(self, model, settings):
        """Test metrics of `model` with the card's keys (`zoo evaluate`).

        Override to re-measure a model as `measure` measured it (every recipe must).

        Args:
            model: the model to measure.
            settings: an `evaluate_class()` instance: which data, and the `Measurement`
                settings.

        Returns:
            A dict {metric: value} with the card's keys.

        Raises:
            NotImplementedError: the recipe does not define it.
        """
        raise NotImplementedError(f"{type(self).__name__} must define evaluate(model, settings)")

    def pictures(self, model, config, data, results, output):
        """Writes the recipe's pictures into `output` from `measure`'s `results`.

        Override to draw samples, curves or predictions.

        Args:
            model: the trained model.
            config: the run's config.
            data: the run's `zoo.data.Splits`.
            results: what `measure` returned.
            output: the run's output folder (a `pathlib.Path`).

        Returns:
            A dict {card key: file name in `output`}; by default {}.
        """
        return {}

    def card_sections(self, model, config, data, results):
        """Sections the card gets beside the metrics and `results.sections`.

        Made once training and measurement are done (e.g. peak memory). By default, with
        `--init`, where training started (`zoo.recipe.finetune.init_record`); an override
        should keep that.

        Args:
            model: the trained model.
            config: the run's config.
            data: the run's `zoo.data.Splits`.
            results: what `measure` returned.

        Returns:
            A dict of card sections (JSON-able).
        """
        return {"init": finetune.init_record(self, model, config)} if config.init else {}

    def notes(self, metrics, dataset):
        """Lines for the card that say how each metric was measured.

        Override to explain the recipe's metrics.

        Args:
            metrics: the card's metrics.
            dataset: the card's dataset description (`data.info`: name, split sizes, …).

        Returns:
            A list of str; by default [].
        """
        return []

    def headline(self, card):
        """The card's result in one line of markdown: the model table's "shipped metric" cell.

        The cell of the README's table and the docs site's. By default the registered metric;
        a recipe whose card holds more (a baseline, a second judge) says so in its own.

        Args:
            card: a model card written by this recipe (a dict, as `zoo.cards.read_card` reads it).

        Returns:
            A markdown string, every figure in it read from `card`.

        Examples:
            >>> from zoo.registry import get_entry
            >>> card = {"metrics": {"test_accuracy": 0.9923}}
            >>> get_entry("lstm_image_classifier").recipe().headline(card)
            '**99.23 %** test accuracy'
        """
        metric = get_entry(self.name).metric
        value = card["metrics"][metric]
        shown = f"{100 * value:.2f} %" if "accuracy" in metric else f"{value:.2f}"
        return f"**{shown}** {metric.replace('_', ' ')}"

    def smoke_settings(self, given):
        """The settings `--smoke` applies to the fields not `given`.

        `smoke`, unless a recipe overrides this to fit them to what was given (e.g. the image
        shape).

        Args:
            given: the flags given, as {field: value}.

        Returns:
            A dict {field: value}.

        Examples:
            >>> from zoo.registry import get_entry
            >>> get_entry("vae").recipe().smoke_settings({})["epochs"]
            1
        """
        return self.smoke

    def input_shapes(self, config, saved):
        """The input shapes a run's flags decide, checked against `--init`'s weights.

        Checked before the data is read. Override where flags decide a derived field (e.g.
        `--image-size` and `--channels` the image shape).

        Args:
            config: the run's config.
            saved: the model config saved beside the `--init` weights.

        Returns:
            A dict {derived model field: (its value in this run, the flags that make it what
            `saved` has)}; by default {}.
        """
        return {}

    # -- flags and settings ----------------------------------------------------------------------

    def main(self, argv=None):
        """Command-line flags → a trained, measured and saved model (`zoo train <name>`).

        Args:
            argv: the flags (a list of str); None reads `sys.argv[1:]`.

        Returns:
            The model card written (a dict).

        Raises:
            SystemExit: with status 2 (and a usage message) for a bad flag or value, before
                any work starts; with status 0 after `--help`.
            zoo.ConfigError: the run cannot start (see `run`).

        Examples:
            >>> from zoo.registry import get_entry
            >>> try:
            ...     get_entry("vae").recipe().main(["--epochs", "0"])
            ... except SystemExit as exit:
            ...     print(exit.code)
            2
        """
        return self.run(self.parse(argv))

    def parse(self, argv=None):
        """Command-line flags → a validated config (`config_class()` instance).

        `--smoke` applies `smoke_settings`; `--init` takes the model fields of its weights
        unless given.

        Args:
            argv: the flags (a list of str); None reads `sys.argv[1:]`.

        Returns:
            The validated config.

        Raises:
            SystemExit: with status 2 (and a usage message) for a bad flag or value; with
                status 0 after `--help`.

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> config = recipe.parse(["--epochs", "2", "--latent-dim", "2"])
            >>> config.epochs, config.latent_dim
            (2, 2)
            >>> recipe.parse(["--smoke"]).epochs
            1
        """
        return cfg.parse(self.config_class(), argv, prog=self.command or f"zoo train {self.name}",
                         description=sys.modules[type(self).__module__].__doc__,
                         validate=self._validate, defaults=self.flag_defaults)

    def config(self, **values):
        """A validated config from keyword values (defaults for the rest), as flags would give.

        But `smoke=True` does not apply the `smoke` settings: pass them.

        Args:
            **values: settings and model fields, by field name.

        Returns:
            The validated config (a `config_class()` instance).

        Raises:
            zoo.ConfigError: a value fails its check, or the settings do not fit together.
            TypeError: a name is neither a setting nor a model field.

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> recipe.config(latent_dim=2).latent_dim
            2
            >>> recipe.config(latent_dim=0)
            Traceback (most recent call last):
            ...
            zoo.errors.ConfigError: --latent-dim must be at least 1, got 0.
        """
        given = {k: v for k, v in values.items() if k != "smoke"}
        config = self.config_class()(**{**self.flag_defaults(given), **values})
        cfg.validate_fields(config)
        self._validate(config)
        return config

    @classmethod
    @functools.cache
    def config_class(cls):
        """The recipe's settings and the model's fields, as one dataclass: one flag each.

        The model's fields are those with a typed default, less `derived_fields` and `seed`
        (the run's own), with the recipe's `model_defaults`. Made once per recipe class.

        Returns:
            The dataclass, a subclass of `Settings`.

        Raises:
            TypeError: `Settings` repeats a model field, or `model_defaults` names a field the
                model does not have.

        Examples:
            >>> import dataclasses
            >>> from zoo.registry import get_entry
            >>> config_class = get_entry("vae").recipe().config_class()
            >>> fields = {f.name for f in dataclasses.fields(config_class)}
            >>> {"epochs", "latent_dim", "width"} <= fields, "image_shape" in fields
            (True, False)
        """
        fields = cfg.model_fields(get_entry(cls.name).cls, cls.model_defaults, exclude=cls.derived_fields)
        clashes = {f.name for f in dataclasses.fields(cls.Settings)} & {name for name, _, _ in fields}
        if clashes:
            raise TypeError(f"{cls.__name__}.Settings repeats the model's fields {sorted(clashes)}.")
        return dataclasses.make_dataclass(f"{cls.__name__}Config", fields, bases=(cls.Settings,))

    @classmethod
    @functools.cache
    def evaluate_class(cls):
        """`zoo evaluate`'s settings: which data, and the recipe's `Measurement` settings.

        The dataset's default is the registered model's dataset. Made once per recipe class.

        Returns:
            A dataclass with the fields of `EvaluateSettings` and of `Measurement`.

        Examples:
            >>> from zoo.registry import get_entry
            >>> settings = get_entry("vae").recipe().evaluate_class()()
            >>> settings.dataset, settings.max_examples, settings.nll_samples
            ('mnist', 0, 1000)
        """
        bases = (EvaluateSettings, cls.Measurement) if cls.Measurement else (EvaluateSettings,)
        dataset = dataclasses.field(default=get_entry(cls.name).dataset,
                                    metadata=EvaluateSettings.__dataclass_fields__["dataset"].metadata)
        return dataclasses.make_dataclass(f"{cls.__name__}Evaluate", [("dataset", str, dataset)], bases=bases)

    def flag_defaults(self, given):
        """Defaults for the settings not `given` that depend on those that are.

        `--smoke`'s (`smoke_settings`); a folder's validation split (a fraction of its files,
        where the recipe holds any out); the model fields of `--init`'s weights.

        Args:
            given: the flags given, as {field: value}.

        Returns:
            A dict {field: value}.

        Raises:
            zoo.ConfigError: `--init` names no weights.

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> recipe.flag_defaults({})
            {}
            >>> recipe.flag_defaults({"smoke": True})["latent_dim"]
            4
            >>> recipe.flag_defaults({"init": "pretrained"})
            {'latent_dim': 32, 'width': 32}
        """
        values = dict(self.smoke_settings(given)) if given.get("smoke") else {}
        if given.get("images") or given.get("videos"):
            held_out = self.config_class().__dataclass_fields__.get("validation_examples")
            if held_out and held_out.default:  # None: the data layer holds out a fraction of the files
                values["validation_examples"] = None
        if given.get("init"):
            values.update(finetune.init_fields(self, given["init"]))
        return values

    def _validate(self, config):
        cfg.check_fields(get_entry(self.name).cls, self.model_settings(config), label=cfg.flag)
        config.validate()
        if config.init:
            finetune.check_init(self, config)

    def model_settings(self, config):
        """The model fields among `config`'s settings (with the run's seed).

        Args:
            config: the run's config.

        Returns:
            A dict {model field: value}; `seed` is the run's where the model has one.

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> recipe.model_settings(recipe.config(latent_dim=2, seed=7))  # doctest: +NORMALIZE_WHITESPACE
            {'latent_dim': 2, 'width': 32, 'num_classes': 0, 'prior': 'normal', 'label_every_layer': False,
             'sample_temperature': 1.0, 'seed': 7}
        """
        fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.metadata.get("model")}
        if "seed" in get_entry(self.name).default_config():
            fields["seed"] = config.seed
        return fields

    def model_config(self, config, data):
        """The model's constructor fields for this run: `model_settings` and `derived`.

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits` (only `derived` reads it).

        Returns:
            A dict {model field: value}.

        Examples:
            >>> from types import SimpleNamespace
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> data = SimpleNamespace(info={"image_shape": (28, 28, 1)})
            >>> recipe.model_config(recipe.config(latent_dim=2), data)  # doctest: +NORMALIZE_WHITESPACE
            {'latent_dim': 2, 'width': 32, 'num_classes': 0, 'prior': 'normal', 'label_every_layer': False,
             'sample_temperature': 1.0, 'seed': 0, 'image_shape': (28, 28, 1)}
        """
        return {**self.model_settings(config), **self.derived(config, data)}

    # -- the run ---------------------------------------------------------------------------------

    def output_dir(self, config):
        """Where this process writes: `config.output`, else a new runs/<name>/<date-time>/.

        In a multi-worker run every worker but the chief writes into `.worker-N/` inside it.

        Args:
            config: the run's config.

        Returns:
            The folder (a `pathlib.Path`; not created here).

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> recipe.output_dir(recipe.config(output="runs/mine")).as_posix()
            'runs/mine'
        """
        return distribute.output_dir(config.output, self.name, config.strategy)

    def run(self, config):
        """Trains, measures and saves the model of `config`: the whole run.

        The output folder is locked for the run; without `output` it is a new dated folder,
        or the newest one a kill interrupted with the same settings (which the run resumes).

        Args:
            config: a validated config (from `config` or `parse`).

        Returns:
            The model card written (a dict).

        Raises:
            zoo.ConfigError: the output folder holds a trained model and `overwrite` is off,
                another run is writing it, or the data or settings cannot be used.

        Examples:
            >>> import pathlib, tempfile
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> folder = pathlib.Path(tempfile.mkdtemp())
            >>> _ = (folder / "model_card.json").write_text("{}")  # a trained model
            >>> recipe.run(recipe.config(output=str(folder)))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            zoo.errors.ConfigError: ... already holds a trained model (model_card.json). ...
        """
        # Chosen once: the default is a new dated folder, and later hooks ask for it again.
        config = dataclasses.replace(config, output=str(config.output or runs.default_output(self.name,
                                                                                               run_settings(config))))
        with runs.locked(self.output_dir(config)):
            runs.check_overwrite(self.output_dir(config), config.overwrite, self.name)
            return self._run(config)

    def _run(self, config):
        strategy = distribute.distribution(config.strategy, deterministic=config.deterministic, seed=config.seed,
                                           batch_size=config.batch_size)
        keras.utils.set_random_seed(config.seed)
        data = self.load_data(config)
        # Again: a first run generates its dataset (moving_mnist_motion), which draws from the
        # global generators, and a rerun that reads it must still build the same model.
        keras.utils.set_random_seed(config.seed)
        output = self.output_dir(config)
        print(f"Training {self.name} on {data.info['name']} ({data.info['train_examples']} examples) → {output}")
        before = self._before_training(config, data, output, strategy)
        model, history = self.train(config, data, output, strategy)
        results = self.measure(model, config, data)
        results = dataclasses.replace(results, sections={**before, **results.sections})
        files = self.pictures(model, config, data, results, output)
        card = save_trained(model, self.name, output, config=config, history=history, metrics=results.metrics,
                            dataset=data.info, notes=self.notes(results.metrics, data.info), extra_files=files,
                            extra={**results.sections, **self.card_sections(model, config, data, results)})
        (output / BEFORE_TRAINING).unlink(missing_ok=True)  # in the card now
        return card

    def _before_training(self, config, data, output, strategy):
        done = output / BEFORE_TRAINING
        if done.exists():
            return json.loads(done.read_text())
        sections = self.before_training(config, data, output, strategy)
        if sections:
            atomic.write_json(done, sections)
        keras.utils.set_random_seed(config.seed)  # the model starts as it would without that work
        return sections

    def xla(self, model, config):
        """`jit_compile(config)` where XLA can place the step: not over several devices.

        Args:
            model: the run's model (built in the strategy's scope).
            config: the run's config.

        Returns:
            Whether to XLA-compile the training step (a bool).

        Examples:
            >>> import zoo
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> recipe.xla(zoo.load("vae", latent_dim=2), recipe.config())
            False
        """
        return self.jit_compile(config) and model.distribute_strategy.num_replicas_in_sync == 1

    def train(self, config, data, output, strategy, batches=None, validation=None, epochs=None):
        """Builds, compiles and fits the model; `run` calls it between the data and `measure`.

        With `--init` the model starts from those weights. Under mixed precision the model
        that comes back is a float32 copy: what the card measures is what `zoo.load` gives a
        user. A run killed mid-way resumes from its last epoch's checkpoint in `output`.

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits`.
            output: the run's output folder (logs and checkpoints).
            strategy: the `tf.distribute` strategy to build the model in.
            batches: training batches instead of `data.train` (a recipe's own phase).
            validation: the validation data with `batches` (else `data.validation`).
            epochs: epochs instead of `epochs(config)`.

        Returns:
            A pair (model, per-epoch log rows).

        Raises:
            zoo.errors.TrainingDiverged: the loss became NaN or infinite.
        """
        start = finetune.init_model(self, config) if config.init else None
        with distribute.precision(config.precision) as policy:
            with strategy.scope():
                model = self.build(config, data)
                if start is not None:
                    finetune.transfer_into(start, model, config)
                self.compile(model, config, data)
            history = fit(model, batches or data.train, validation if batches else data.validation,
                          epochs=epochs or self.epochs(config), output=output,
                          callbacks=self.callbacks(model, config, data, output), run=run_settings(config))
        if policy != "float32":
            trained = self.build(config, data)
            trained.set_weights(model.get_weights())
            model = trained
        return model, history

    def build(self, config, data):
        """A fresh model of `model_config(config, data)` (`zoo.load`, compiled).

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits` (what `derived` reads).

        Returns:
            The model.

        Examples:
            >>> from types import SimpleNamespace
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> data = SimpleNamespace(info={"image_shape": (28, 28, 1)})
            >>> recipe.build(recipe.config(latent_dim=2), data).latent_dim
            2
        """
        import zoo

        return zoo.load(self.name, **self.model_config(config, data))

