"""glassnet.data — turn the data people have into the vectors the input layer takes.

The article's input layer: "an image is a matrix of RGB values; unroll it into a vector".
Here that happens for image folders, MNIST IDX files, NumPy/CSV arrays and bundled data
sets, and the transformation is recorded so a prediction repeats exactly the same steps::

    from glassnet.data import load, Preprocessor, prepare_image
    data = load("photos/", size=(32, 32))          # Dataset: X raw float32 (n, 32·32·3)
    train, test = data.split(test_size=0.2, seed=0)
    pre = Preprocessor.for_dataset(train, "scale").fit(train.X)   # x / 255
    X_train = pre.transform(train.X)
    x = prepare_image("new.jpg", pre)              # (1, d), the same decode + resize + scale

Modules (one idea each): ``images`` decodes one file, ``decode`` many files (process pool),
``folders`` the class-folder layout, ``idx`` MNIST files, ``arrays`` .npz/.npy, ``tables``
CSV, ``builtin`` bundled sets, ``dataset`` the Dataset, ``split`` the train/test split,
``preprocess`` scaling, ``shapes`` vectors back to images, ``loader`` the ``load`` entry point,
``lazy`` an image folder as a dask array decoded on Dask workers (``load_lazy``).
"""

from glassnet.data.dataset import Dataset
from glassnet.data.decode import available_cores
from glassnet.data.images import IMAGE_SUFFIXES, load_image
from glassnet.data.lazy import load_lazy, to_dask
from glassnet.data.loader import load, load_images
from glassnet.data.preprocess import Preprocessor, prepare_image
from glassnet.data.shapes import to_image, weights_as_images
from glassnet.data.split import train_test_split

__all__ = [
    "Dataset", "IMAGE_SUFFIXES", "Preprocessor", "available_cores", "load", "load_image",
    "load_images", "load_lazy", "prepare_image", "to_dask", "to_image", "train_test_split",
    "weights_as_images",
]
