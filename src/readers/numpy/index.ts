export {
  readNpyHeader,
  sniffNpy,
  NPY_MAGIC,
  NPY_VERSIONS,
  NPY_HEADER_KEYS,
  type NpyHeader,
  type NpySizeMismatch,
} from './npy-header.js';
export { analyzeDescr, type DtypeInfo, type DtypeError } from './npy-dtype.js';
export { parsePythonLiteral, toPlain, MAX_LITERAL_DEPTH, MAX_DECIMAL_DIGITS, type PyValue, type PythonLiteralOptions } from './python-literal.js';
