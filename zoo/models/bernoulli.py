"""What the zoo's models of binary images share (`vae`, `pixel_lstm`): pixels as Bernoulli
variables, training images binarised afresh at every step, and the Bernoulli log-likelihood
computed stably from logits."""

import keras
from keras import ops

from zoo.models.base import ZooModel


class BinaryImageModel(ZooModel):
    """Base class of a model of binary images (not registered itself): a subclass sets
    `image_shape` and a `seed_generator` in its `__init__`."""

    def _pixels(self, images):
        return ops.reshape(ops.cast(images, "float32") / 255.0, (-1, *self.image_shape))

    def binarize(self, images):
        """One Bernoulli draw per pixel of raw uint8 images with p = pixel / 255 (images already
        in {0, 255} stay): dynamic binarisation, a fresh binary image of the digit at every step."""
        p = self._pixels(images)
        uniform = self.replica_rows(lambda n: keras.random.uniform((n, *self.image_shape), seed=self.seed_generator),
                                    ops.shape(p)[0])
        return ops.cast(uniform < p, "float32")

    def thresholded(self, images):
        """Binary images as 0/1 floats [batch, h, w, c]: raw integer pixels are 1 from 128 up;
        floats (e.g. the model's own samples, 0 or 1) are 1 above 0.5."""
        images = ops.convert_to_tensor(images)
        cut = 0.5 if "float" in str(images.dtype) else 127.5
        return ops.reshape(ops.cast(ops.cast(images, "float32") > cut, "float32"), (-1, *self.image_shape))


def bernoulli_nll(x, logits):
    """−log Bernoulli(x; sigmoid(logits)), elementwise, computed stably from the logits (in
    float32 whatever the logits' dtype: a sum over hundreds of pixels loses digits in bfloat16)."""
    logits = ops.cast(logits, "float32")
    return ops.maximum(logits, 0) - logits * x + ops.softplus(-ops.abs(logits))
