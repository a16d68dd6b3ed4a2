"""The shared base of the recipes that read video clips (`cnn_lstm_video`, `convlstm_video`)."""

from zoo.recipe.base import Recipe
from zoo.recipe.settings import VideoSettings


class VideoRecipe(Recipe):
    """A recipe of a model that reads video clips.

    The clips come from `moving_mnist_motion` (generated from the MNIST of the TFDS data folder
    on first use), a TFDS video dataset or a folder of your own videos. The clips' frame shape
    is the model's `frame_shape`. Its settings are `VideoSettings`.

    Examples:
        >>> from zoo.recipe import VideoRecipe
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("convlstm_video").recipe()
        >>> isinstance(recipe, VideoRecipe), recipe.derived_fields
        (True, ('frame_shape',))
    """

    Settings = VideoSettings
    derived_fields = ("frame_shape",)

    def derived(self, config, data):
        """The model's frame shape, from the data.

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits` (its `info`).

        Returns:
            A dict {"frame_shape": (height, width, channels)}.

        Examples:
            >>> from types import SimpleNamespace
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("convlstm_video").recipe()
            >>> recipe.derived(recipe.config(), SimpleNamespace(info={"frame_shape": (64, 64, 1)}))
            {'frame_shape': (64, 64, 1)}
        """
        return dict(frame_shape=data.info["frame_shape"])

    def clip_source(self, config):
        """The keyword arguments of `zoo.data.video`'s loaders that say where the clips come from.

        And, for the generated dataset, how many there are.

        Args:
            config: the run's config (a `VideoSettings`).

        Returns:
            A dict of `data_dir`, `download`, `generated_data_dir`, `train_clips` and
            `test_clips`.

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("convlstm_video").recipe()
            >>> recipe.clip_source(recipe.config(test_clips=100))  # doctest: +NORMALIZE_WHITESPACE
            {'data_dir': None, 'download': True, 'generated_data_dir': None, 'train_clips': 30000,
             'test_clips': 100}
        """
        return dict(data_dir=config.data_dir, download=config.download, generated_data_dir=config.generated_data_dir,
                    train_clips=config.train_clips, test_clips=config.test_clips)
