"""Data stage: tasks (embedded fine_foods, user CSV/TSV/JSONL, GLUE via TFDS) -> tf.data.

One module a job: `examples` (containers, dev split), a module per source (`fine_foods`,
`files`, `glue`), `tasks` (`load_task` by name), `general_corpus` (unlabelled text),
`tagging` (word tags aligned to WordPieces; user CoNLL folders), `brown_pos` (Brown POS,
universal tags), `squad` (QA windows and answer spans; SQuAD v1.1) and `batching`
(`make_dataset`, `evaluation_batches`, `ResumableBatches`). Every public name is
re-exported here, so `from tinybert_tf import data; data.load_task(...)` is the usual way in.
"""

from tinybert_tf.data.brown_pos import BROWN_POS_DIR, UNIVERSAL_TAGS, brown_to_universal, load_brown_pos
from tinybert_tf.data.batching import (PADDINGS, ResumableBatches, check_padding, encode, evaluation_batches,
                                       make_dataset)
from tinybert_tf.data.examples import DataError, Examples, TaskData, carve_dev_split
from tinybert_tf.data.files import load_files, load_text_file
from tinybert_tf.data.fine_foods import FINE_FOODS_DIR, FINE_FOODS_LABELS, load_fine_foods
from tinybert_tf.data.general_corpus import GENERAL_CORPUS, load_general_corpus, pack_segments
from tinybert_tf.data.glue import GLUE_TASKS, load_glue
from tinybert_tf.data.squad import (SQUAD_DIR, QAExamples, QAFeatures, QATask, best_spans, load_qa_task, load_squad,
                                   load_squad_v1, prepare_qa_features)
from tinybert_tf.data.stsb import STSB_DIR, load_stsb
from tinybert_tf.data.tagging import (IGNORE_INDEX, TaggedExamples, TaggingFeatures, TaggingTask, align_tags,
                                      load_conll, load_conll_task, word_predictions)
from tinybert_tf.data.tasks import load_task

__all__ = [
    "DataError", "Examples", "TaskData", "carve_dev_split",
    "FINE_FOODS_DIR", "FINE_FOODS_LABELS", "load_fine_foods",
    "load_files", "load_text_file",
    "GLUE_TASKS", "load_glue",
    "STSB_DIR", "load_stsb",
    "IGNORE_INDEX", "TaggedExamples", "TaggingFeatures", "TaggingTask", "align_tags", "load_conll",
    "load_conll_task", "word_predictions",
    "BROWN_POS_DIR", "UNIVERSAL_TAGS", "brown_to_universal", "load_brown_pos",
    "SQUAD_DIR", "QAExamples", "QAFeatures", "QATask", "best_spans", "load_qa_task", "load_squad", "load_squad_v1",
    "prepare_qa_features",
    "load_task",
    "GENERAL_CORPUS", "load_general_corpus", "pack_segments",
    "PADDINGS", "ResumableBatches", "check_padding", "encode", "evaluation_batches", "make_dataset",
]
