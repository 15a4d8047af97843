"""Data that ships with tinybert_tf, and its TFDS builder (`tinybert_tf.datasets.fine_foods_tfds`)."""
