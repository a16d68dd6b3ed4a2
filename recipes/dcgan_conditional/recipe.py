"""Train `dcgan_conditional` on MNIST with its labels and measure how often its samples are the
digit asked for, and how good they are, with the zoo's two MNIST judges.

    zoo train dcgan_conditional                      # the recipe defaults
    zoo sample dcgan_conditional --label 7           # a grid of sevens
    python -m recipes.dcgan_conditional.recipe --smoke --output /tmp/smoke

Reported: the share of 10,000 samples (1,000 per class) the judges classify as their requested
class (conditional accuracy; real test images score about 99 %), the per-class Fréchet
distance, and `dcgan`'s classifier-score ratio and Fréchet distance over all samples.
"""

from recipes.dcgan.recipe import DCGANRecipe
from zoo.recipe import ConditionalImages


class ConditionalDCGANRecipe(ConditionalImages, DCGANRecipe):
    name = "dcgan_conditional"
    answers = "Can the convolutional GAN draw the digit it is asked for, and as well as it draws any digit?"


RECIPE = ConditionalDCGANRecipe()

if __name__ == "__main__":
    RECIPE.main()
