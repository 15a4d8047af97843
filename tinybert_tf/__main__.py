import sys

from tinybert_tf.cli import main

sys.exit(main())
