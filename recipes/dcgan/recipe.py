"""Train `dcgan` on MNIST and measure its samples with the zoo's MNIST classifier.

    zoo train dcgan                                  # the recipe defaults
    zoo train dcgan --loss wgan_gp --output runs/wgan
    python -m recipes.dcgan.recipe --smoke --output /tmp/smoke

Reported: the classifier score of `--quality-samples` generated images as a fraction of the
score of as many real test images, and their Fréchet distance to the real test images beside
the real train-vs-test floor (features and logits of the shipped lstm_image_classifier).
"""

import dataclasses

from zoo.config import at_least, option
from zoo.recipe import GANSettings, ImageGANRecipe


@dataclasses.dataclass
class Settings(GANSettings):
    epochs: int = option(15, "passes over the training data (≈ 24 min on 2 CPU cores)", at_least(1))
    precision: str = option("auto", "auto (mixed_bfloat16 where a bfloat16 matrix product measures faster than "
                                    "float32 on this machine, else float32; measured once, cached), float32 or "
                                    "mixed_bfloat16")


class DCGANRecipe(ImageGANRecipe):
    name = "dcgan"
    answers = "How close do a convolutional GAN's samples come to real digits, judged by two different classifiers?"
    Settings = Settings
    # Smoothed real labels keep D from growing over-confident early in the run; R1 (γ = 5) keeps
    # it flat on the data (measured: second judge's score ratio 0.860 without, 0.876 at γ = 1,
    # 0.891 at γ = 5); a generator 1.5 times as wide (96 filters, D unchanged) took it to 0.904
    # in 15 epochs, 23.8 min (more R1, a longer weight average, no spectral norm: all 0.89).
    model_defaults = dict(label_smoothing=0.1, r1_penalty=5.0, generator_width=96)
    smoke = dict(epochs=1, batch_size=64, latent_dim=8, width=8, generator_width=0, max_train_examples=512,
                 max_test_examples=256, quality_samples=64)


RECIPE = DCGANRecipe()

if __name__ == "__main__":
    RECIPE.main()
