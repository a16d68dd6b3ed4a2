"""The shared base of the recipes that read video clips (`cnn_lstm_video`, `convlstm_video`)."""

from zoo.recipe.base import Recipe
from zoo.recipe.settings import VideoSettings


class VideoRecipe(Recipe):
    """A recipe of a model that reads video clips: `moving_mnist_motion` (generated from the MNIST
    of the TFDS data folder on first use), a TFDS video dataset or a folder of your own videos.
    The clips' frame shape is the model's `frame_shape`."""

    Settings = VideoSettings
    derived_fields = ("frame_shape",)

    def derived(self, config, data):
        return dict(frame_shape=data.info["frame_shape"])

    def clip_source(self, config):
        """The keyword arguments of `zoo.data.video`'s loaders that say where this run's clips come
        from (and, for the generated dataset, how many there are)."""
        return dict(data_dir=config.data_dir, download=config.download, generated_data_dir=config.generated_data_dir,
                    train_clips=config.train_clips, test_clips=config.test_clips)
