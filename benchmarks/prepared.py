"""What a benchmark's measurement of one model starts from: the model as `zoo train` builds and
compiles it, its recipe's data and one training batch (shared by `benchmarks.run` and
`benchmarks.paired`, so that both time the same compiled step)."""


def prepared(name):
    """What every measurement of `name` starts from, in this process: its recipe's default
    model (compiled at the recipe's XLA setting, optimizers built), data and one batch."""
    import keras
    import tensorflow as tf

    import zoo
    from zoo import training
    from zoo.registry import get_entry

    recipe = get_entry(name).recipe()
    config = recipe.config()
    keras.utils.set_random_seed(config.seed)
    data = recipe.load_data(config)
    with training.precision(config.precision) as policy:
        model = zoo.load(name, **recipe.model_config(config, data))
    # As `zoo train` compiles it: the recipe's setting where it turns XLA on, else Keras' "auto"
    # (off on a CPU; on a GPU, on unless a layer cannot be compiled, e.g. a cuDNN LSTM).
    model.compile(jit_compile=recipe.jit_compile(config) or "auto")
    jit_default = bool(model.jit_compile)  # as Keras resolved it
    model.build_optimizers()
    batch = next(iter(data.train.dataset))
    return dict(recipe=recipe, config=config, data=data, model=model, policy=policy, jit_default=jit_default,
                batch=batch, batch_size=int(tf.nest.flatten(batch)[0].shape[0]))
