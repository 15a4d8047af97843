"""Read an R package's lazy-load data base (`data/Rdata.rdx` + `Rdata.rdb`) without R.

`Rdata.rdx` is a gzip'd R serialization of the index (name -> offset, length);
each record in `Rdata.rdb` is a 4-byte big-endian length, then either the byte `Z`
and a raw LZMA2 stream (xz-compressed packages) or a zlib stream (the default),
whose payload is an R serialization. The PyPI package `rdata`
parses both. Used by the data extraction scripts beside this file.
"""

import lzma
import os
import struct
import warnings
import zlib

import rdata

# rdata warns that the .rdx extension is unusual; the format is what it expects.
warnings.filterwarnings("ignore", module="rdata")


def read_lazy_db(data_dir):
    """Returns `load(name)`, which converts the named R object to Python/pandas."""
    index = rdata.conversion.convert(
        rdata.parser.parse_file(os.path.join(data_dir, "Rdata.rdx"))
    )
    with open(os.path.join(data_dir, "Rdata.rdb"), "rb") as f:
        db = f.read()

    def load(name):
        offset, length = (int(v) for v in index["variables"][name])
        record = db[offset : offset + length]
        (size,) = struct.unpack(">i", record[:4])
        if record[4:5] == b"Z":  # LazyDataCompression: xz
            payload = lzma.decompress(
                record[5:],
                format=lzma.FORMAT_RAW,
                filters=[{"id": lzma.FILTER_LZMA2}],
            )
        else:  # default (gzip): a bare zlib stream follows the length
            payload = zlib.decompress(record[4:])
        assert len(payload) == size, (len(payload), size)
        return rdata.conversion.convert(rdata.parser.parse_data(payload))

    return load


