"""Train `lstm_gan_image` on MNIST and measure its samples as `dcgan`'s are measured.

    zoo train lstm_gan_image                                 # the recipe defaults
    zoo train lstm_gan_image --dataset fashion_mnist --output runs/fashion
    python -m recipes.lstm_gan_image.recipe --smoke --output /tmp/smoke

Reported: the classifier score of `--quality-samples` generated images as a fraction of the
score of as many real test images, and their Fréchet distance to the real test images beside
the real train-vs-test floor (features and logits of the shipped lstm_image_classifier).
"""

import dataclasses

from zoo.config import at_least, option, positive
from zoo.recipe import GANSettings, ImageGANRecipe


@dataclasses.dataclass
class Settings(GANSettings):
    epochs: int = option(20, "passes over the training data (≈ 53 min on 2 CPU cores)", at_least(1))
    # Two time scales (Heusel et al. 2017): LSTM(384) collapsed with both at 2e-4; G at 1e-4 trained,
    # and D at 4e-4 beside it scored 0.891 / 0.830 after 20 epochs against D at 2e-4's 0.839 / 0.770 (README.md here).
    learning_rate: float = option(1e-4, "Adam learning rate of the generator (β1 = 0.5)", positive)
    d_learning_rate: float = option(4e-4, "Adam learning rate of the discriminator (β1 = 0.5)", positive)
    jit_compile: bool = option(False, "XLA-compile the training step")


class LSTMGANImageRecipe(ImageGANRecipe):
    name = "lstm_gan_image"
    answers = ("Can a GAN whose generator and discriminator are both LSTMs (no convolution) draw images row by "
               "row, and how close does it come to the convolutional GAN?")
    Settings = Settings
    # R1 on D is what stopped the collapse (one epoch: 0.24 of real with it, 0.10-0.15 without).
    # R1 every 4th step, 4 times as strong (StyleGAN2's lazy regularisation): its extra gradient
    # pass was 38 % of a step, so the hour holds a wider generator.
    model_defaults = dict(label_smoothing=0.1, r1_penalty=10.0, r1_interval=4, units=384)
    # The smoke run leaves R1 out: tracing its lazy second-order pass through the unrolled LSTMs
    # took 43 of the smoke run's 52 s. tests/test_conditional.py trains lstm_gan_image with lazy R1.
    smoke = dict(epochs=1, batch_size=64, latent_dim=8, units=16, d_units=8, r1_penalty=0.0, max_train_examples=512,
                 max_test_examples=256, quality_samples=64)


RECIPE = LSTMGANImageRecipe()

if __name__ == "__main__":
    RECIPE.main()
