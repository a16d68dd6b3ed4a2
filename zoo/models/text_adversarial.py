"""The adversarial phase of `lstm_gan_text`: a discriminator update and a generator update
against it. Discrete samples have no gradient, so the generator learns through one of three
estimators (`LSTMGANText(estimator=...)`):

- "gumbel": a Gumbel-softmax relaxation of the samples, whose inverse temperature rises from 1
  to `max_inverse_temperature` over `anneal_steps` steps (RelGAN); the non-saturating loss
  flows through the relaxed one-hots into the generator;
- "reinforce": REINFORCE with the discriminator's probability of "real" as the reward of each
  sequence and a moving-average baseline;
- "rollout": REINFORCE with a reward per token, the mean reward of `rollouts` Monte-Carlo
  completions of the sequence so far (SeqGAN's estimator, rolled out by the current generator
  rather than SeqGAN's delayed copy, and with the moving-average baseline). Under a
  tf.distribute strategy the rollouts' draws depend on the replica count, so a "rollout" run on
  several replicas is not the one-device run draw for draw, as the other estimators are.
"""

import keras
import tensorflow as tf
from keras import ops

from zoo.models.text_networks import discriminate_ids, monte_carlo_rewards


def adversarial_step(model, real):
    """One step of `model`'s adversarial phase on real token ids [batch, time]:
    `discriminator_steps` discriminator updates, each on fresh samples, then one generator
    update by `model.estimator`; the losses and the NLL of `real` go to the model's trackers."""
    batch, length = ops.shape(real)[0], ops.shape(real)[1]
    real_one_hot = ops.one_hot(real, model.vocab_size)
    progress = ops.minimum(ops.cast(model.adversarial_steps, "float32") / max(model.anneal_steps, 1), 1.0)
    beta = model.max_inverse_temperature ** progress  # 1 → max, exponentially (RelGAN)
    gumbel = model.estimator == "gumbel"

    def fake():
        tokens, soft = model.rollout(batch, length, inverse_temperature=beta if gumbel else None)
        return tokens, soft, (soft if gumbel else ops.one_hot(tokens, model.vocab_size))

    def update_discriminator(fake_input):
        with tf.GradientTape() as d_tape:
            real_logits = model.discriminator(real_one_hot, training=True)
            fake_logits = model.discriminator(ops.stop_gradient(fake_input), training=True)
            d_loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(real_logits), real_logits, from_logits=True)) \
                + ops.mean(keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True))
            scaled = model.per_replica(d_loss)
        grads = d_tape.gradient(scaled, model.discriminator.trainable_variables)
        model.apply_gradients(model.d_optimizer, grads, model.discriminator.trainable_variables)
        return d_loss

    for _ in range(model.discriminator_steps - 1):  # the extra D updates, each on fresh samples
        update_discriminator(fake()[2])
    with tf.GradientTape() as g_tape:
        tokens, soft, fake_input = fake()
        with g_tape.stop_recording():
            d_loss = update_discriminator(fake_input)
        if gumbel:  # non-saturating loss through the relaxed samples
            logits_for_g = model.discriminator(soft, training=True)
            g_loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(logits_for_g), logits_for_g, from_logits=True))
        elif model.estimator == "reinforce":  # reward = D's probability of "real", minus a moving average
            reward = ops.stop_gradient(ops.sigmoid(model.discriminator(fake_input, training=False))[:, 0])
            advantage = reward - model.reward_baseline
            g_loss = ops.mean(advantage * model.sequence_nll(tokens))  # −advantage · log p(sequence)
        else:  # REINFORCE with a reward per token: the mean of D over Monte-Carlo completions
            with g_tape.stop_recording():
                reward = monte_carlo_rewards(model.generator, lambda ids: _reward(model, ids), tokens, model.rollouts,
                                             _replica_seed(model))
            token_nll = model.token_nll(tokens, training=True)
            g_loss = ops.mean(ops.sum((reward - model.reward_baseline) * token_nll, axis=-1))
        scaled = model.per_replica(g_loss)
    grads = g_tape.gradient(scaled, model.generator.trainable_variables)
    model.apply_gradients(model.g_optimizer, grads, model.generator.trainable_variables)
    if not gumbel:
        model.reward_baseline.assign(0.9 * model.reward_baseline + 0.1 * model.global_mean(ops.mean(reward)))
    model.adversarial_steps.assign_add(1)
    model.g_loss_tracker.update_state(g_loss)
    model.d_loss_tracker.update_state(d_loss)
    model.nll_tracker.update_state(ops.mean(model.sequence_nll(real)))


def _reward(model, ids):
    """D's probability that sequences of token ids [n, time] are real: [n]."""
    return ops.sigmoid(discriminate_ids(model.discriminator, ids))


def _replica_seed(model):
    """A sampling seed for this step that differs between the replicas of a strategy."""
    context = tf.distribute.get_replica_context()
    replica = context.replica_id_in_sync_group if context is not None else 0
    return tf.cast(model.seed_generator.next(), tf.int32) + tf.stack([0, 1_000_003 * tf.cast(replica, tf.int32)])
