"""`Recipe`: how one registered model is trained and measured. The base class owns the run, the
same for every model; a recipe overrides the hooks it needs (each declared here, with its
default) and states its settings as a dataclass (`zoo.recipe.settings`)."""

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
    """What `Recipe.measure` found in a trained model; the run hands it to `pictures` and
    `card_sections` and writes it into the card.

    Args:
        metrics: the card's metrics, measured as `Recipe.evaluate` re-measures them.
        sections: card sections beside the metrics (e.g. a table by temperature).
        artefacts: what the pictures are drawn from (predictions, example frames): not saved.
    """

    metrics: dict
    sections: dict = dataclasses.field(default_factory=dict)
    artefacts: dict = dataclasses.field(default_factory=dict)


class Recipe:
    """How one registered model is trained and measured:

        strategy → seed → data → `before_training` → model built (in the strategy's scope) →
        `compile` → fit → `measure` → `pictures` → weights, config and model card written

    A recipe sets `name` and `Settings` and supplies `load_data`, `measure` and `evaluate`; the
    other hooks have defaults. Its flags are its `Settings` plus the model's own fields
    (`zoo.config.model_fields`), so a model setting is declared once, by the model.
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
        """The run's data: a `zoo.data.Splits`."""
        raise NotImplementedError(f"{type(self).__name__} must define load_data(config)")

    def derived(self, config, data):
        """The `derived_fields` of the model for this run's data (e.g. image shape, classes)."""
        return {}

    def before_training(self, config, data, output, strategy):
        """Work before the model trains whose results go into the card (a baseline): a dict of
        card sections. Kept in the output folder until the card is written, so a resumed run
        does not do it again."""
        return {}

    def compile(self, model, config, data):
        """Compiles `model` (built inside the strategy's scope): by default Adam at
        `--learning-rate` with a short warm-up and cosine decay, gradients clipped to
        `clipnorm(config)`."""
        model.compile(optimizer=adam_cosine(config.learning_rate, config.epochs, data.train.steps,
                                            clipnorm=self.clipnorm(config)))

    def clipnorm(self, config):
        """The global gradient norm the default `compile` clips to (None: no clipping): 1.0, as
        recurrent networks' gradients spike now and then early in training."""
        return 1.0

    def jit_compile(self, config):
        """Whether the recipe XLA-compiles its training step (`benchmarks.run` measures the other
        setting too): off unless a recipe says otherwise."""
        return False

    def epochs(self, config):
        """Epochs of the one `fit` (a recipe of two phases counts both)."""
        return config.epochs

    def callbacks(self, model, config, data, output):
        """Callbacks of the recipe's own beside the run's (`zoo.training.fit`'s)."""
        return []

    def measure(self, model, config, data):
        """`Results` of the trained `model`: its metrics measured as `evaluate` re-measures them."""
        raise NotImplementedError(f"{type(self).__name__} must define measure(model, config, data)")

    def evaluate(self, model, settings):
        """Test metrics of `model` with the card's keys; `settings` an `evaluate_class()`."""
        raise NotImplementedError(f"{type(self).__name__} must define evaluate(model, settings)")

    def pictures(self, model, config, data, results, output):
        """Writes the recipe's pictures into `output` from `measure`'s `results`: {card key: file}."""
        return {}

    def card_sections(self, model, config, data, results):
        """Sections the card gets beside the metrics and `results.sections`, made once training
        and measurement are done (e.g. peak memory); by default, with --init, where training
        started."""
        return {"init": finetune.init_record(self, model, config)} if config.init else {}

    def notes(self, metrics, dataset):
        """Lines for the card that say how each metric was measured."""
        return []

    def headline(self, card):
        """The card's result in one line of markdown: the model table's "shipped metric" cell (the
        README's and the docs site's). By default the registered metric; a recipe whose card
        holds more (a baseline, a second judge) says so in its own.

        Args:
            card: a model card written by this recipe (a dict, as `zoo.cards.read_card` reads it).

        Returns:
            A markdown string, every figure in it read from `card`.

        Example:
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
        """The settings --smoke applies to the fields not `given`: `smoke`, unless a recipe
        must fit them to what was given (e.g. the image shape)."""
        return self.smoke

    def input_shapes(self, config, saved):
        """{derived model field: (its value in this run, the flags that make it what the
        `saved` config has)} for the input shapes a run's flags decide (checked against
        --init's weights before the data is read)."""
        return {}

    # -- flags and settings ----------------------------------------------------------------------

    def main(self, argv=None):
        """Command-line flags → a trained, measured and saved model; returns its card."""
        return self.run(self.parse(argv))

    def parse(self, argv=None):
        return cfg.parse(self.config_class(), argv, prog=self.command or f"zoo train {self.name}",
                         description=sys.modules[type(self).__module__].__doc__,
                         validate=self._validate, defaults=self.flag_defaults)

    def config(self, **values):
        """A validated config from keyword values (defaults for the rest), as flags would give
        (but `smoke=True` does not apply the `smoke` settings: pass them)."""
        given = {k: v for k, v in values.items() if k != "smoke"}
        config = self.config_class()(**{**self.flag_defaults(given), **values})
        cfg.validate_fields(config)
        self._validate(config)
        return config

    @classmethod
    @functools.cache
    def config_class(cls):
        """The recipe's settings and the model's fields, as one dataclass: one flag each."""
        fields = cfg.model_fields(get_entry(cls.name).cls, cls.model_defaults, exclude=cls.derived_fields)
        clashes = {f.name for f in dataclasses.fields(cls.Settings)} & {name for name, _, _ in fields}
        if clashes:
            raise TypeError(f"{cls.__name__}.Settings repeats the model's fields {sorted(clashes)}.")
        return dataclasses.make_dataclass(f"{cls.__name__}Config", fields, bases=(cls.Settings,))

    @classmethod
    @functools.cache
    def evaluate_class(cls):
        """`zoo evaluate`'s settings: which data (the registered model's dataset by default), and
        the recipe's `Measurement` settings."""
        bases = (EvaluateSettings, cls.Measurement) if cls.Measurement else (EvaluateSettings,)
        dataset = dataclasses.field(default=get_entry(cls.name).dataset,
                                    metadata=EvaluateSettings.__dataclass_fields__["dataset"].metadata)
        return dataclasses.make_dataclass(f"{cls.__name__}Evaluate", [("dataset", str, dataset)], bases=bases)

    def flag_defaults(self, given):
        """{field: value} for the settings not `given` (flags as {field: value}) that depend on
        those that are: --smoke's (`smoke_settings`); a folder's validation split (a fraction of
        its files, where the recipe holds any out); the model fields of --init's weights."""
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
        """The model fields among `config`'s settings (with the run's seed)."""
        fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.metadata.get("model")}
        if "seed" in get_entry(self.name).default_config():
            fields["seed"] = config.seed
        return fields

    def model_config(self, config, data):
        return {**self.model_settings(config), **self.derived(config, data)}

    # -- the run ---------------------------------------------------------------------------------

    def output_dir(self, config):
        return distribute.output_dir(config.output, self.name, config.strategy)

    def run(self, config):
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
        """`jit_compile(config)` where XLA can place the step: not over a strategy's several devices."""
        return self.jit_compile(config) and model.distribute_strategy.num_replicas_in_sync == 1

    def train(self, config, data, output, strategy, batches=None, validation=None, epochs=None):
        """Builds, compiles and fits the model (on `data` unless other `batches` are given);
        returns (model, per-epoch log rows). Under mixed precision the model that comes back is
        a float32 copy: what the card measures is what `zoo.load` gives a user."""
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
        import zoo

        return zoo.load(self.name, **self.model_config(config, data))

