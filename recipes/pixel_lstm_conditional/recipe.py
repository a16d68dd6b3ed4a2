"""Train `pixel_lstm_conditional` (an exact p(x | y)) on dynamically binarised MNIST with its
labels, and measure it as `pixel_lstm` is measured, plus how often its samples are the digit asked for.

    zoo train pixel_lstm_conditional                      # the recipe defaults
    zoo sample pixel_lstm_conditional --label 7           # a grid of sevens
    python -m recipes.pixel_lstm_conditional.recipe --smoke --output /tmp/smoke

Reported: the exact test NLL −log p(x) = −log Σ_y p(y) p(x | y) over the whole test split, set
beside `pixel_lstm`'s, and −log p(x | y); the share of the samples (the classes in turn) the
judges classify as their requested class; and the samples' classifier score and Fréchet
distance. Same budget and settings as `pixel_lstm`.
"""

from recipes.pixel_lstm.recipe import PixelLSTMRecipe
from zoo.recipe import ConditionalImages


class ConditionalPixelLSTMRecipe(ConditionalImages, PixelLSTMRecipe):
    name = "pixel_lstm_conditional"
    answers = ("How much likelihood does knowing the class buy a pixel-by-pixel LSTM (conditional PixelCNN: a "
               "small gain), and does it draw the digit it is asked for?")


RECIPE = ConditionalPixelLSTMRecipe()

if __name__ == "__main__":
    RECIPE.main()
