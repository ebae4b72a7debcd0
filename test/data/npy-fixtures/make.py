"""Writes the .npy fixtures of test/data/npy.test.ts with numpy itself (np.save and
numpy.lib.format), so the reader is checked against files numpy made, not against its own writer.
Run from this directory: python3 make.py (numpy 2.4.6 made the committed files)."""
import numpy as np
from numpy.lib import format as npy

rows23 = np.array([[0.0, 0.5, 1.0], [-2.25, 3.0e5, 1.0e-7]])

np.save('f4-2x3.npy', rows23.astype('<f4'))
np.save('f8-2x3.npy', rows23.astype('<f8'))
# A float64 value that float32 rounds: the reader keeps float32's nearest, as CSV does.
np.save('f8-third.npy', np.array([[1.0 / 3.0, 2.0]]))
with open('f4-2x3-v2.npy', 'wb') as f:
    npy.write_array(f, rows23.astype('<f4'), version=(2, 0))
with open('f4-2x3-v3.npy', 'wb') as f:
    npy.write_array(f, rows23.astype('<f4'), version=(3, 0))
np.save('fortran.npy', np.asfortranarray(rows23.astype('<f4')))
np.save('one-d.npy', np.array([1.0, 2.0, 3.0], dtype='<f4'))
np.save('three-d.npy', np.zeros((2, 2, 2), dtype='<f4'))
np.save('int64.npy', np.array([[1, 2], [3, 4]], dtype='<i8'))
np.save('float16.npy', np.array([[1, 2]], dtype='<f2'))
np.save('big-endian.npy', rows23.astype('>f4'))
np.save('nan.npy', np.array([[0.0, 1.0], [2.0, np.nan]]))
np.save('too-big.npy', np.array([[1.0e300, 0.0]]))
np.save('empty.npy', np.zeros((0, 3), dtype='<f4'))
# The bytes formatNpy must write for the same float32 array.
np.save('codes-f4-4x5.npy', (np.arange(20, dtype='<f4').reshape(4, 5) / 7).astype('<f4'))
