"""`TwoPhaseGAN`: what the zoo's sequence GANs share, a maximum-likelihood phase then an
adversarial one, each network with its own optimizer.

`lstm_gan_text` and `lstm_gan_music` train their generator first as an exact autoregressive
model, then against a discriminator, within one `fit`: a callback switches the phase between
epochs (`zoo.training.callbacks.AdversarialFrom`). The phase is kept in a variable so that
`BackupAndRestore` brings it back with the weights, and the training step is traced for one
phase at a time.
"""

import keras

PHASES = ("mle", "adversarial")


class TwoPhaseGAN:
    """A mixin for a `ZooModel` with a `generator` and a `discriminator` trained in two phases.

    The model calls `init_phase(phase)` in its constructor and reads `_traced_phase` in its
    `train_step` to choose the phase's step. Subclasses may override `default_optimizers`.

    Examples:
        >>> import zoo
        >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4,
        ...                hidden_dim=4, discriminator_dim=4)
        >>> isinstance(gan, TwoPhaseGAN), gan.phase
        (True, 'mle')
    """

    def init_phase(self, phase):
        """Creates the phase variable; called once from the model's constructor.

        Args:
            phase: the phase to start in, "mle" or "adversarial".
        """
        # A variable, not a Python flag: a callback can switch phase between epochs of one `fit`,
        # and BackupAndRestore brings the phase back with the weights.
        self.adversarial_phase = keras.Variable(phase == "adversarial", dtype="bool", trainable=False,
                                                name="adversarial_phase")
        self._traced_phase = phase  # the phase `train_step` traces (see make_train_function)

    @property
    def phase(self):
        """The training phase, "mle" or "adversarial" (kept in a variable; see `set_phase`).

        Returns:
            str: "mle" or "adversarial".
        """
        return "adversarial" if bool(self.adversarial_phase.numpy()) else "mle"

    def set_phase(self, phase):
        """Switches between "mle" and "adversarial" training (also between epochs of a `fit`).

        Called from a callback mid-`fit`, it retraces the training step for the new phase.

        Args:
            phase: "mle" (maximum likelihood) or "adversarial".

        Raises:
            ValueError: `phase` is neither.

        Examples:
            >>> import zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4,
            ...                hidden_dim=4, discriminator_dim=4)
            >>> gan.set_phase("adversarial")
            >>> gan.phase, gan.get_config()["phase"]
            ('adversarial', 'adversarial')
            >>> gan.set_phase("gan")
            Traceback (most recent call last):
            ...
            ValueError: phase must be one of ('mle', 'adversarial'), got 'gan'.
        """
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {phase!r}.")
        self.adversarial_phase.assign(phase == "adversarial")
        if self.train_function is not None:  # mid-`fit` (a callback): retrace for the new phase
            self.make_train_function()

    def make_train_function(self, force=False):
        """Keras' `make_train_function`, traced for the current phase.

        The maximum-likelihood step may be XLA-compiled (as `compile(jit_compile=...)` asks);
        the adversarial step never is. Builds both optimizers first, and retraces when the
        phase has changed since the last trace.

        Args:
            force: retrace even if a function is already traced for this phase.

        Returns:
            What `keras.Model.make_train_function` returns (the step is `self.train_function`).
        """
        # The phase is chosen when the step is traced, not by a `tf.cond` in it: under a
        # tf.distribute strategy an optimizer update inside control flow fails (merge_call).
        phase = self.phase
        # XLA for the maximum-likelihood step only: an adversarial step's sampling loop keeps a
        # TensorArray XLA cannot size.
        if self._traced_phase != "adversarial" or not hasattr(self, "_jit_requested"):
            # (after an adversarial trace, jit_compile holds our False, not the caller's setting)
            self._jit_requested = self.jit_compile
        self.jit_compile = self._jit_requested if phase == "mle" else False
        if not (self.g_optimizer.built and self.d_optimizer.built):
            # Both, whichever phase is traced: a model saved in one phase keeps the other's
            # optimizer state (empty, but of the right shape) for a run resumed in that one.
            with self.distribute_strategy.scope():
                self.build_optimizers()
        if phase != self._traced_phase:
            self._traced_phase, force = phase, True
        return super().make_train_function(force=force)

    def default_optimizers(self):
        """The optimizers `compile` uses when it is given none.

        Returns:
            tuple: (generator's optimizer, discriminator's optimizer): Adam(1e-3) for both here.

        Examples:
            >>> [type(o).__name__ for o in TwoPhaseGAN().default_optimizers()]
            ['Adam', 'Adam']
        """
        return keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Compiles with two optimizers, one per network.

        They are recorded, so a `.keras` file restores them. The generator's optimizer is also
        Keras' `optimizer`.

        Args:
            g_optimizer: the generator's optimizer (a Keras optimizer, or what
                `keras.optimizers.get` takes); None for `default_optimizers()`'s.
            d_optimizer: the discriminator's optimizer; None for the default.
            **kwargs: further `keras.Model.compile` arguments (e.g. `jit_compile`, applied to
                the maximum-likelihood step only).
        """
        default_g, default_d = self.default_optimizers()
        self.g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer is not None else default_g
        self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer is not None else default_d
        self._record_compile_args(g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer)
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def build_optimizers(self):
        """Creates both optimizers' variables now, each for its own network's weights.

        Examples:
            >>> import zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("ab"), embedding_dim=4, hidden_dim=4,
            ...                discriminator_dim=4)
            >>> gan.compile(); gan.build_optimizers()
            >>> gan.g_optimizer.built and gan.d_optimizer.built
            True
        """
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
