"""The zoo's models; importing this package registers each of them."""

from zoo.models.cnn_lstm_video import CNNLSTMVideo
from zoo.models.convlstm_video import ConvLSTMVideo
from zoo.models.dcgan import DCGAN, ConditionalDCGAN
from zoo.models.dense_gan import DenseGAN
from zoo.models.lstm_gan_image import ConditionalLSTMGANImage, LSTMGANImage
from zoo.models.lstm_gan_music import LSTMGANMusic
from zoo.models.lstm_gan_text import LSTMGANText
from zoo.models.lstm_image_classifier import CNNLSTMImageClassifier, LSTMImageClassifier
from zoo.models.pixel_lstm import ConditionalPixelLSTM, PixelLSTM
from zoo.models.vae import VAE, ConditionalVAE

__all__ = ["CNNLSTMImageClassifier", "CNNLSTMVideo", "ConditionalDCGAN", "ConditionalLSTMGANImage", "ConditionalPixelLSTM", "ConditionalVAE", "ConvLSTMVideo", "DCGAN", "DenseGAN", "LSTMGANImage", "LSTMGANMusic", "LSTMGANText", "LSTMImageClassifier", "PixelLSTM", "VAE"]
