"""Train `dense_gan`, the articles' fully connected GAN, on MNIST and measure its samples with the
zoo's two MNIST judges: the baseline row of the generative comparison.

    zoo train dense_gan                              # the recipe defaults
    python -m recipes.dense_gan.recipe --smoke --output /tmp/smoke

Reported, as for `dcgan`: the classifier score of `--quality-samples` generated images as a
fraction of the score of as many real test images, and their Fréchet distance to the real test
images beside the real train-vs-test floor, under each judge.
"""

import dataclasses

from zoo.config import at_least, option
from zoo.recipe import GANSettings, ImageGANRecipe


@dataclasses.dataclass
class Settings(GANSettings):
    epochs: int = option(12, "passes over the training data (≈ 4 min on 2 CPU cores)", at_least(1))
    batch_size: int = option(128, "examples per training step (a dense step costs little: 128 keeps the cores "
                                  "busier)", at_least(1))


class DenseGANRecipe(ImageGANRecipe):
    name = "dense_gan"
    answers = "How close does the articles' fully connected GAN come to real digits, trained as the zoo's GANs are?"
    Settings = Settings
    # As dcgan's recipe: smoothed real labels keep D from growing over-confident early.
    model_defaults = dict(label_smoothing=0.1)
    smoke = dict(epochs=1, batch_size=64, latent_dim=8, g_units=[16, 32], d_units=[32, 16], max_train_examples=512,
                 max_test_examples=256, quality_samples=64)


RECIPE = DenseGANRecipe()

if __name__ == "__main__":
    RECIPE.main()
