"""Train `lstm_gan_image_conditional` on MNIST with its labels and measure how often its samples
are the digit asked for, and how good they are, with the zoo's two MNIST judges.

    zoo train lstm_gan_image_conditional                      # the recipe defaults
    zoo sample lstm_gan_image_conditional --label 7           # a grid of sevens
    python -m recipes.lstm_gan_image_conditional.recipe --smoke --output /tmp/smoke

Reported as for `dcgan_conditional`: the share of 10,000 samples (1,000 per class) the judges
classify as their requested class, the per-class Fréchet distance, and the classifier-score
ratio and Fréchet distance over all samples. Same budget and settings as `lstm_gan_image`.
"""

from recipes.lstm_gan_image.recipe import LSTMGANImageRecipe
from zoo.recipe import ConditionalImages


class ConditionalLSTMGANImageRecipe(ConditionalImages, LSTMGANImageRecipe):
    name = "lstm_gan_image_conditional"
    answers = "Can the all-LSTM GAN draw the digit it is asked for, row by row, and as well as it draws any digit?"


RECIPE = ConditionalLSTMGANImageRecipe()

if __name__ == "__main__":
    RECIPE.main()
