"""Train `vae_conditional` (a conditional VAE, p(x | y)) on dynamically binarised MNIST with
its labels, and measure it as `vae` is measured, plus how often its samples are the digit asked for.

    zoo train vae_conditional                      # the recipe defaults
    zoo sample vae_conditional --label 7           # a grid of sevens
    python -m recipes.vae_conditional.recipe --smoke --output /tmp/smoke

Reported: the test negative ELBO of log p(x | y); the test NLL −log p(x) = −log Σ_y p(y) p(x | y)
(importance-sampled, `ConditionalVAE.marginal_nll`), set beside `vae`'s, and −log p(x | y);
the share of 10,000 samples (1,000 per class) the judges classify as their requested class;
and the samples' classifier score and Fréchet distance. Same budget and settings as `vae`, but
for z's prior: learned, one Gaussian per class (the model's `prior="learned"`).
"""

from recipes.vae.recipe import VAERecipe
from zoo.recipe import ConditionalImages


class ConditionalVAERecipe(ConditionalImages, VAERecipe):
    name = "vae_conditional"
    answers = ("Does knowing the class buy the VAE a better likelihood of the digit, and can it draw the digit "
               "it is asked for?")


RECIPE = ConditionalVAERecipe()

if __name__ == "__main__":
    RECIPE.main()
