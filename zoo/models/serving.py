"""Checks on what a model is given to serve, and the empty-batch answer of an exported
endpoint.

A loaded SavedModel signature checks only dtypes: a request of the wrong shape would fail deep
inside the network, or worse, be reshaped into a confident wrong answer. Every serving function
in the zoo passes its inputs through `checked` first, and `zoo.export` wraps each endpoint in
`answers_empty_batches`.
"""

import contextlib
import threading

import tensorflow as tf

from zoo.errors import ConfigError

_tracing = threading.local()


@contextlib.contextmanager
def portable():
    """Inside this block serving functions trace for LiteRT and ONNX (`zoo.portable`): the
    run-time checks below are left out, since neither format has an assert op (their runtimes
    check dtypes and fixed sizes themselves), and outputs are numeric only."""
    before = getattr(_tracing, "portable", False)
    _tracing.portable = True
    try:
        yield
    finally:
        _tracing.portable = before


def tracing_portable():
    """True inside `portable()`."""
    return getattr(_tracing, "portable", False)


def expect_shape(x, sizes, name):
    """`x`, once its static shape is seen to fit `sizes` (batch first; None: any size), else
    a ValueError naming the input and both shapes, rather than an error deep inside the
    network or a reshape into a wrong answer (a lone 28×28×1 image read as 28 rows). Where the
    static shape leaves a fixed size (or the rank) open, as a function traced with relaxed
    shapes does, the check runs with the function and fails with the same message."""
    shape = getattr(x, "shape", None)
    if shape is None or getattr(x, "dtype", None) in (tf.string, object):
        raise ValueError(f"{name} must be a numeric array of shape {shape_text(sizes)}, got {type(x).__name__} "
                         f"of dtype {getattr(x, 'dtype', None)}.")
    static = tf.TensorShape(shape)
    if static.rank is not None:
        shape = tuple(static.as_list())
        if len(shape) != len(sizes) or any(s is not None and d is not None and s != d for s, d in zip(sizes, shape)):
            raise ValueError(f"{name} must have shape {shape_text(sizes)}, got {list(shape)}.")
        if all(d is not None for s, d in zip(sizes, shape) if s is not None):
            return x
    if tracing_portable():
        return x
    # A function traced with relaxed shapes (Keras' `predict` after inputs of other shapes, a
    # tf.function with reduce_retracing): what the trace cannot see is checked when it runs.
    return _checked_when_run(x, sizes, name)


def _checked_when_run(x, sizes, name):
    """`x` with run-time checks of its shape against `sizes`, and that static shape."""
    message = f"{name} must have shape {shape_text(sizes)}"
    checks = [tf.debugging.assert_rank(x, len(sizes), message=message)]
    with tf.control_dependencies(checks):
        fixed = [(i, d) for i, d in enumerate(sizes) if d is not None]
        if fixed:
            actual = tf.gather(tf.shape(x), [i for i, _ in fixed])
            checks.append(tf.debugging.assert_equal(actual, [d for _, d in fixed], message=message))
    with tf.control_dependencies(checks):
        x = tf.identity(x)
    x.set_shape(sizes)  # static only: an EnsureShape op could fail before the checks name the input
    return x


def image_shape_of(value, divisible_by=1, field="image_shape"):
    """`value` as a (height, width, channels) tuple, or a ConfigError (a ValueError) naming
    `field` and saying what is wrong."""
    try:
        shape = tuple(int(d) for d in value)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or min(shape) < 1 or shape[0] % divisible_by or shape[1] % divisible_by:
        sides = f" with height and width divisible by {divisible_by}" if divisible_by > 1 else ""
        raise ConfigError(f"{field} must be (height, width, channels) of positive sizes{sides}, got {value!r}.")
    return shape


def checked(tensor, spec):
    """`tensor` after run-time checks against `spec`: its rank and fixed sizes, at least one
    step along every open axis but the batch (a clip of no frames, a sequence of no
    tokens), and finite values for a float. A loaded signature does not check shapes
    itself: without this a wrong shape would fail deep inside the network, or worse, be
    reshaped into an answer. An empty batch passes: it gets an empty answer."""
    if tracing_portable():
        return tensor
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


def checked_count(tensor, spec, most):
    """A count setting such as the number of images to draw, checked to lie in [1, most]:
    a larger request would exhaust the serving process's memory."""
    if tracing_portable():
        return tensor
    tensor = checked(tensor, spec)
    checks = [tf.debugging.assert_positive(tensor, message=f"{spec.name} must be at least 1"),
              tf.debugging.assert_less_equal(tensor, tf.cast(most, tensor.dtype),
                                             message=f"{spec.name} must be at most {most}")]
    with tf.control_dependencies(checks):
        return tf.identity(tensor)


def checked_batch(tensor, spec, most, endpoint):
    """`tensor` once its batch is seen to hold at most `most` examples: what one request to
    `endpoint` may carry before it would exhaust the serving process's memory or time."""
    if tracing_portable():
        return tensor
    check = tf.debugging.assert_less_equal(
        tf.shape(tensor, out_type=tf.int64)[0], tf.constant(most, tf.int64),
        message=f"{spec.name} must hold at most {most} examples per {endpoint} request; send the rest in another")
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


def checked_total(tensor, total, most, message):
    """`tensor` once `total` (an int64 scalar computed from the request, e.g. the frames a video
    request carries) is seen to be at most `most`, else an error with `message`."""
    if tracing_portable():
        return tensor
    check = tf.debugging.assert_less_equal(total, tf.constant(most, tf.int64), message=message)
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


def checked_ids(ids, size, message):
    """`ids` once every one is seen to lie in [0, size), else an error with `message`. The
    checks are control dependencies of what is returned: an assert beside the computation may
    run after an embedding lookup has already failed on the id with an error naming no input."""
    if tracing_portable():
        return ids
    checks = [tf.debugging.assert_non_negative(ids, message=message),
              tf.debugging.assert_less(ids, tf.cast(size, ids.dtype), message=message)]
    with tf.control_dependencies(checks):
        return tf.identity(ids)


def checked_same_rows(tensor, other, message):
    """`tensor` once its first axis is seen to be as long as `other`'s, else an error with
    `message` (one label per latent vector, say)."""
    if tracing_portable():
        return tensor
    check = tf.debugging.assert_equal(tf.shape(tensor)[0], tf.shape(other)[0], message=message)
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


def bounded(fn, specs, limits, endpoint):
    """`fn`, refusing a request whose inputs are larger than `limits` ({input name: {axis: most}})
    with "<input> must hold at most N <what> per <endpoint> request" before any of it is computed:
    what one request may carry before it would exhaust the serving process's memory or time."""
    if not limits:
        return fn
    names = [s.name for s in specs]

    def checked_request(*args):
        checks = []
        for name, axes in limits.items():
            x = args[names.index(name)]
            for axis, most in axes.items():
                what = "examples" if axis == 0 else f"steps along axis {axis}"
                checks.append(tf.debugging.assert_less_equal(
                    tf.shape(x, out_type=tf.int64)[axis], tf.constant(most, tf.int64),
                    message=f"{name} must hold at most {most} {what} per {endpoint} request; send the rest in "
                            "another"))
        with tf.control_dependencies(checks):
            return fn(*[tf.identity(a) for a in args])

    return checked_request


def answers_empty_batches(fn, specs):
    """`fn`, answering a request of no examples with outputs of no rows. Keras' layers fail on
    a batch of size 0 (an LSTM cell, for one), so each empty batched input is padded to one
    example of zeros and the answer cut back to the first batched input's rows. Where there are
    several (a class-conditional model's labels beside its images), all empty is an empty
    answer, and one empty beside another that is not is left to `fn`'s own check that each row
    has its label. Signatures without a batched input are unchanged."""
    batched = [i for i, s in enumerate(specs) if s.shape.rank and s.shape[0] is None]
    if not batched:
        return fn
    expected = {i: "[" + ", ".join("batch" if d is None else str(d) for d in specs[i].shape) + "]" for i in batched}

    def answered(*args):
        args = list(args)
        for i in batched:
            tf.debugging.assert_rank(args[i], specs[i].shape.rank, message=f"{specs[i].name} must have shape {expected[i]}")
        n = tf.shape(args[batched[0]])[0]
        for i in batched:
            x = args[i]
            filler = tf.zeros(tf.concat([[tf.maximum(1 - tf.shape(x)[0], 0)], tf.shape(x)[1:]], axis=0), x.dtype)
            args[i] = tf.concat([x, filler], axis=0)
        outputs = fn(*args)
        return {key: value[:n] for key, value in outputs.items()}

    return answered


def shape_text(sizes):
    """`sizes` (batch first; None: any size) as an error message writes them."""
    return "[" + ", ".join("batch" if i == 0 else ("any" if d is None else str(d)) for i, d in enumerate(sizes)) + "]"
