"""How fast: the timers the benchmarks share, for a training step, a served signature and a
sampler. Each times only what it names, after untimed calls that trace and warm it up."""

import time


class _StepTimes:
    """Callback: wall-clock time at the end of every training batch."""

    def __init__(self):
        import keras

        outer = self

        class Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                outer.times.append(time.perf_counter())

        self.times = []
        self.callback = Callback()


def train_throughput(model, dataset, batch_size, steps, warmup):
    """Examples/s of `model.fit` over `steps` batches after `warmup` (tracing, first calls)."""
    timer = _StepTimes()
    model.fit(dataset.repeat(), steps_per_epoch=warmup + steps, epochs=1, verbose=0, callbacks=[timer.callback])
    times = timer.times[warmup - 1:]
    return batch_size * (len(times) - 1) / (times[-1] - times[0])


def serving_latency(signature, inputs, repeats):
    """(p50, p99) milliseconds of `signature(**inputs)` over `repeats` calls after 3 warm-ups."""
    from zoo.runtimes import timed

    return timed(lambda: [o.numpy() for o in signature(**inputs).values()], repeats, warmup=3)


def serving_inputs(signature, batch, size, example=None):
    """Inputs of `size` examples for `signature`: rows of the real batch where the dtypes match
    (images, clips, tokens), else standard-normal floats (latent vectors); a scalar setting takes
    its value from `example` (the model's `serving_example`), else 1."""
    import numpy as np
    import tensorflow as tf

    first = tf.nest.flatten(batch)[0].numpy()
    inputs = {}
    for name, spec in signature.structured_input_signature[1].items():
        if spec.shape.rank == 0:  # a setting (convlstm_video's num_frames): the model's example value
            rows = np.asarray((example or {}).get(name, 1), spec.dtype.as_numpy_dtype)
        elif spec.dtype.as_numpy_dtype == first.dtype:
            rows = np.resize(first, (size, *first.shape[1:]))
        else:
            shape = [size if d is None else d for d in spec.shape]
            rows = np.random.default_rng(0).standard_normal(shape).astype(spec.dtype.as_numpy_dtype)
        inputs[name] = tf.constant(rows)
    return inputs


def images_per_second(draw, size, repeats):
    """`size` images over the median seconds of `repeats` timed `draw()`s, after one untimed
    (the tracing). The median, not the mean: a few requests, and one may take seconds."""
    import numpy as np

    draw()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        draw()
        times.append(time.perf_counter() - start)
    return size / float(np.median(times))


def served_sampling_speed(signature, size, repeats):
    """Images per second an exported `sample` endpoint draws for requests of `size` images
    (between 3 and 10 requests timed, whatever `repeats` says)."""
    import tensorflow as tf

    request = dict(num_images=tf.constant(size, tf.int32), seed=tf.constant(0, tf.int32))
    return images_per_second(lambda: signature(**request)["images"].numpy(), size, max(3, min(repeats, 10)))


def sampling_speed(model, size, repeats, seed):
    """Images per second `model.sample(size)` draws, compiled as one graph for every model (some
    models' `sample` runs eagerly, layer by layer): the median of `repeats` timed requests."""
    import numpy as np
    import tensorflow as tf

    draw = tf.function(lambda: model.sample(size, seed=seed, output="float"))
    return images_per_second(lambda: np.asarray(draw()), size, repeats)
