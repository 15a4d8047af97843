"""TFDS builder for the embedded fine_foods task: `tfds.load("fine_foods", data_dir=...)` offline.

Importing this module registers the builder. It reads the JSONL files shipped in the
package (no download), with the same deterministic dev split as `data.load_fine_foods`.

Example:
```python
import tensorflow_datasets as tfds
import tinybert_tf.datasets.fine_foods_tfds  # registers "fine_foods"
ds = tfds.load("fine_foods", split="train", data_dir="/tmp/tfds")
```
"""

import tensorflow_datasets as tfds

from tinybert_tf import data


class FineFoods(tfds.core.GeneratorBasedBuilder):
    """Amazon fine-food reviews: great (five stars) vs other. MIT, via R's modeldata."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "small_fine_foods from modeldata 1.1.0; dev = 10% of train, seed 0."}

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "text": tfds.features.Text(),
                "label": tfds.features.ClassLabel(names=list(data.FINE_FOODS_LABELS)),
            }),
            supervised_keys=("text", "label"),
            homepage="https://modeldata.tidymodels.org",
            license="MIT",
        )

    def _split_generators(self, dl_manager):
        task = data.load_fine_foods()
        return {"train": self._generate_examples(task.train), "dev": self._generate_examples(task.dev),
                "test": self._generate_examples(task.test)}

    def _generate_examples(self, examples):
        for i, (text, label) in enumerate(zip(examples.texts, examples.labels)):
            yield i, {"text": text, "label": int(label)}
