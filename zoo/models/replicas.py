"""The maths that keeps a run under a `tf.distribute` strategy equal to the same run on one
device: random draws, gradient clipping, batch statistics and hand-written losses.

Keras leaves each of these per replica (every replica draws the same dropout mask, clips its
own share of the gradient, normalises by its own rows), so a model trained on two devices
would not be the model trained on one. `tests/test_distribute.py` checks that they match.
"""

import keras
import tensorflow as tf


def replica_context():
    """(the replica context, its replica count): (None, 1) in a cross-replica context."""
    context = tf.distribute.get_replica_context()
    return context, (context.num_replicas_in_sync if context is not None else 1)


def replicas_in_scope():
    """Replicas of the tf.distribute strategy in scope (1 outside any)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


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


def global_mean(value):
    """The mean of a per-replica scalar over all replicas (the value itself on one device):
    for state every replica must update alike, such as a moving average."""
    context, replicas = replica_context()
    if replicas == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)


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


def per_replica(loss):
    """Divides a global-batch mean by the replica count: gradients are summed across
    replicas, and hand-written reductions are not scaled by Keras."""
    replicas = replicas_in_scope()
    return loss / tf.cast(replicas, loss.dtype) if replicas > 1 else loss


def batch_norm(**kwargs):
    """BatchNormalization whose batch statistics cover the global batch under a strategy with
    several replicas (`synchronized`), as they would on one device; plain elsewhere."""
    return keras.layers.BatchNormalization(synchronized=replicas_in_scope() > 1, **kwargs)


class ReplicaDropout(keras.layers.Dropout):
    """Dropout whose mask, under a strategy with several replicas, is drawn for the global batch
    and sliced per replica (`replica_rows`): Keras' Dropout would give every replica the same
    mask. On one device it is Keras' Dropout, draw for draw."""

    def call(self, inputs, training=False):
        if not training or self.rate == 0 or replica_context()[1] == 1:
            return super().call(inputs, training=training)
        keep = replica_rows(
            lambda n: keras.random.dropout(tf.ones(tf.concat([[n], tf.shape(inputs)[1:]], 0), inputs.dtype),
                                           self.rate, seed=self.seed_generator),
            keras.ops.shape(inputs)[0])
        return inputs * keep
