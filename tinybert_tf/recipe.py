"""The whole TinyBERT recipe in one call: fine-tune the teacher, general distillation
(short), data augmentation, task distillation, then a teacher-vs-student table.

Every stage writes to its own folder under `output_dir` and is skipped when its output
is already there (and resumes when it was interrupted), so running the same command
again after a crash continues instead of starting over.
"""

import dataclasses
import json
import os
from typing import Dict, List, Optional

from tinybert_tf import augment as augment_lib
from tinybert_tf import distill
from tinybert_tf import teacher as teacher_lib


@dataclasses.dataclass
class RecipeConfig:
    """Args:
        teacher: the pretrained teacher (directory or short name); fine-tuned first.
        task: `fine_foods`, `glue/<task>` or a directory of files.
        student: student preset (`teacher-l4`: the teacher's widths, 4 layers, copied from
            teacher layers; `tinybert4`: 4 layers, hidden 312, random init, which needs far
            more general distillation than a CPU run gives it).
        output_dir: `teacher/`, `general/`, `augmented/`, `student/`, `comparison.md` go here.
        teacher_epochs: fine-tuning epochs of the teacher.
        general_max_segments: corpus lines for general distillation (0 skips the stage;
            the student then starts from the fine-tuned teacher's layers).
        general_learning_rate: general distillation peak learning rate.
        num_augmented: N_a augmented copies per training example (0: no augmentation).
        intermediate_epochs, prediction_epochs: task distillation steps 1 and 2.
    """

    teacher: str = "minilm-l6"
    task: str = "fine_foods"
    student: str = "teacher-l4"
    output_dir: str = "runs/demo"
    max_length: int = 128
    batch_size: int = 32
    teacher_epochs: int = 1
    general_max_segments: int = 20000
    general_epochs: int = 1
    general_learning_rate: float = 5e-5
    num_augmented: int = 1
    replace_prob: float = 0.4
    top_k: int = 15
    intermediate_epochs: int = 1
    prediction_epochs: int = 1
    temperature: float = 1.0
    seed: int = 0
    data_dir: Optional[str] = None


def _done(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "metrics.json"))


def run_recipe(config: RecipeConfig) -> Dict[str, dict]:
    """Run every stage (skipping finished ones); returns {"teacher": metrics, "student":
    metrics} and writes `comparison.md`."""
    out = config.output_dir
    teacher_dir = os.path.join(out, "teacher")
    if _done(teacher_dir):
        print(f"[recipe] teacher: {teacher_dir} is fine-tuned already; reusing it.")
    else:
        print("[recipe] 1/4 fine-tuning the teacher")
        teacher_lib.fine_tune(teacher_lib.FineTuneConfig(
            model=config.teacher, task=config.task, output_dir=teacher_dir, max_length=config.max_length,
            batch_size=config.batch_size, epochs=config.teacher_epochs, seed=config.seed, data_dir=config.data_dir))

    student_start = config.student
    if config.general_max_segments > 0:
        general_dir = os.path.join(out, "general")
        if _done(general_dir):
            print(f"[recipe] general distillation: {general_dir} is done already; reusing it.")
        else:
            print("[recipe] 2/4 general distillation")
            distill.general_distill(distill.GeneralDistillConfig(
                teacher=config.teacher, student=config.student, max_segments=config.general_max_segments,
                max_length=config.max_length, batch_size=config.batch_size, epochs=config.general_epochs,
                learning_rate=config.general_learning_rate, output_dir=general_dir, seed=config.seed))
        student_start = general_dir

    augmented = None
    if config.num_augmented > 0:
        print("[recipe] 3/4 data augmentation")
        augmented = augment_lib.augment_task(augment_lib.AugmentConfig(
            teacher=teacher_dir, task=config.task, output_file=os.path.join(out, "augmented", "train.jsonl"),
            replace_prob=config.replace_prob, num_augmented=config.num_augmented, top_k=config.top_k,
            seed=config.seed, data_dir=config.data_dir))

    student_dir = os.path.join(out, "student")
    if _done(student_dir):
        print(f"[recipe] task distillation: {student_dir} is done already; reusing it.")
    else:
        print("[recipe] 4/4 task distillation")
        distill.task_distill(distill.TaskDistillConfig(
            teacher=teacher_dir, student=student_start, task=config.task, augmented_file=augmented,
            max_length=config.max_length, batch_size=config.batch_size,
            intermediate_epochs=config.intermediate_epochs, prediction_epochs=config.prediction_epochs,
            temperature=config.temperature, output_dir=student_dir, seed=config.seed, data_dir=config.data_dir))

    rows = [("teacher", teacher_dir), ("student", student_dir)]
    table = comparison_table(rows)
    with open(os.path.join(out, "comparison.md"), "w", encoding="utf-8") as f:
        f.write(table + "\n")
    print(table)
    return {name: _read_metrics(d) for name, d in rows}


def _read_metrics(directory: str) -> dict:
    with open(os.path.join(directory, "metrics.json"), encoding="utf-8") as f:
        return json.load(f)


def count_parameters(directory: str) -> int:
    """Parameters of a saved model, from its safetensors headers (no model build)."""
    from safetensors import safe_open

    total = 0
    for name in sorted(os.listdir(directory)):
        if name.endswith(".safetensors"):
            with safe_open(os.path.join(directory, name), framework="numpy") as f:
                for key in f.keys():
                    shape = f.get_slice(key).get_shape()
                    size = 1
                    for dim in shape:
                        size *= dim
                    total += size
    return total


def comparison_table(rows: List[tuple], split: str = "test", reference: Optional[str] = None) -> str:
    """A Markdown table of saved classifiers (name, directory): layers, hidden size,
    parameters, `split` accuracy and F1, and accuracy as a fraction of the first row's
    (or `reference`'s)."""
    lines = [f"| model | layers | hidden | parameters | {split} accuracy | {split} F1 | accuracy vs teacher |",
             "|---|---|---|---|---|---|---|"]
    metrics = {name: _read_metrics(d).get(split, {}) for name, d in rows}
    base = metrics[reference or rows[0][0]].get("accuracy")
    for name, directory in rows:
        with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        m = metrics[name]
        acc, f1 = m.get("accuracy"), m.get("f1")
        ratio = f"{100 * acc / base:.1f}%" if acc is not None and base else "n/a"
        lines.append(f"| {name} | {config['num_hidden_layers']} | {config['hidden_size']} | "
                     f"{count_parameters(directory) / 1e6:.1f}M | "
                     f"{'n/a' if acc is None else f'{acc:.4f}'} | {'n/a' if f1 is None else f'{f1:.4f}'} | {ratio} |")
    return "\n".join(lines)
