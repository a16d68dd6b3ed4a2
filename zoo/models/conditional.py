"""What the zoo's class-conditional generators share (`dcgan_conditional`,
`lstm_gan_image_conditional`, `vae_conditional`, `pixel_lstm_conditional`): a `num_classes`
field, and labels checked the same way in Python, in a traced call and at an exported endpoint."""

import numpy as np
import tensorflow as tf
from keras import ops

from zoo.models import serving


def rows(x):
    """The number of rows of `x`: an int where it is known (an array, an eager tensor), a
    scalar tensor for a traced tensor of unknown batch, None where even its rank is unknown."""
    try:
        return int(x.shape[0])
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return tf.shape(x)[0] if x.shape.rank else None
    except (AttributeError, ValueError):
        return None


class ClassConditional:
    """Mixin of a generator that can be class-conditional: `num_classes` 0 is an unconditional
    model, more a conditional one whose methods take `labels` (int class ids in
    [0, num_classes)). The model sets `self.num_classes` in its constructor.

    Examples:
        >>> from zoo.models.conditional import ClassConditional
        >>> model = ClassConditional()
        >>> model.num_classes = 3
        >>> model.checked_labels(None, 4).numpy().tolist(), model.checked_labels(2, 2).numpy().tolist()
        ([0, 1, 2, 0], [2, 2])
        >>> try:
        ...     model.checked_labels([0, 3], 2)
        ... except ValueError as e:
        ...     print(e)
        labels must lie in [0, 3), got 3 (at 1).
    """

    num_classes = 0

    def id_limit(self):
        """The ids a portable export's parity check may send as labels: every class."""
        return self.num_classes or super().id_limit()

    def checked_labels(self, labels, n):
        """`labels` for `n` examples as an int32 tensor, checked in Python.

        Args:
            labels: `n` int class ids, one int for all, or None: the classes in turn
                (0, 1, …, num_classes − 1, 0, …). An unconditional model takes None only.
            n: how many examples.

        Returns:
            An int32 tensor [n], or None for an unconditional model.

        Raises:
            ValueError: labels given to an unconditional model, not `n` integers, or out of
                [0, num_classes). In a traced call (`predict`, an endpoint) a label out of
                range is refused when the graph runs (tf.errors.InvalidArgumentError).
        """
        if not self.num_classes:
            if labels is not None:
                raise ValueError(f"This {type(self).__name__} is not class-conditional (num_classes=0): it takes no "
                                 "labels. Load a conditional model (num_classes > 0; the registry's "
                                 "*_conditional variants) to draw a given class.")
            return None
        if labels is None:
            return ops.cast(ops.arange(n) % self.num_classes, "int32")
        if tf.is_tensor(labels) and not tf.executing_eagerly():  # traced: checked when the graph runs
            # (Keras' own traces of a built model send float placeholders: cast, not refused)
            return serving.checked_ids(ops.cast(labels, "int32"), self.num_classes, self._out_of_range())
        if tf.is_tensor(labels) and not labels.dtype.is_integer:
            raise ValueError(f"labels must be integer class ids, got a tensor of {labels.dtype.name}.")
        values = np.asarray(labels)
        if values.ndim == 0:
            values = np.full((n,), values)
        if values.shape != (n,) or not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f"labels must be {n} integer class ids (one per image), got shape {values.shape} "
                             f"of {values.dtype}.")
        wrong = np.flatnonzero((values < 0) | (values >= self.num_classes))
        if wrong.size:
            shown = ", ".join(f"{values[i]} (at {i})" for i in wrong[:5]) + (" …" if wrong.size > 5 else "")
            raise ValueError(f"labels must lie in [0, {self.num_classes}), got {shown}.")
        return ops.convert_to_tensor(values.astype("int32"))

    def _out_of_range(self):
        return f"labels must lie in [0, {self.num_classes}): this model draws {self.num_classes} classes"

    def required_labels(self, labels, images):
        """`checked_labels` of the labels that come with `images` (a likelihood, an encoding or a
        completion of given images), which a conditional model cannot do without: None for an
        unconditional model (which asks nothing of `images`), else the labels checked.

        Raises:
            ValueError: a conditional model given no labels, or labels as `checked_labels` refuses.
        """
        if labels is None and not self.num_classes:
            return None
        if labels is None:
            raise ValueError(f"This {type(self).__name__} is class-conditional (num_classes={self.num_classes}): "
                             "give each image's class, labels=[...].")
        return self.checked_labels(labels, rows(images))

    def batch_labels(self, data):
        """The int32 labels of a training batch `(inputs, labels)` for a conditional model, None
        for an unconditional one (which ignores any).

        Raises:
            ValueError: a conditional model given a batch without labels.
        """
        if not self.num_classes:
            return None
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(f"{self.name} is class-conditional (num_classes={self.num_classes}): it trains on "
                             "(images, labels) batches; give the dataset its labels.")
        return ops.cast(data[1], "int32")

    def labels_spec(self):
        """The `tf.TensorSpec` of an endpoint's `labels`: int32 [batch]."""
        return tf.TensorSpec((None,), tf.int32, name="labels")

    def served_labels(self, labels, rows_of=None, rows_name="", endpoint="this", most=None):
        """An endpoint's `labels`, checked when the request runs.

        Args:
            labels: the request's labels tensor.
            rows_of: another batched input of the request, with one row per label (or None).
            rows_name: that input's name, for the message.
            endpoint: the endpoint's name, for the message on `most`.
            most: the most labels one request may carry (or None).

        Returns:
            The labels, int32 [batch], once seen to be each in [0, num_classes), one per row of
            `rows_of` and at most `most`; else the request is answered with an error saying which.
        """
        spec = self.labels_spec()
        labels = serving.checked_ids(serving.checked(labels, spec), self.num_classes, self._out_of_range())
        if rows_of is not None:
            labels = serving.checked_same_rows(labels, rows_of, f"labels must hold one class id per row of "
                                                                f"{rows_name}")
        if most is not None:
            labels = serving.checked_batch(labels, spec, most, endpoint)
        return labels
