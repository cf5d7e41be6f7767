// The contract's `risk-error` cases. componentize-js turns a thrown `{ tag, val }` into the error case of
// the function's `result`; messages start with the offending field, as the host expects ("field: problem").

export function invalidInput(field, problem) {
  return { tag: 'invalid-input', val: `${field}: ${problem}` };
}

export function notPositiveSemidefinite(problem) {
  return { tag: 'not-positive-semidefinite', val: problem };
}

export function tooLarge(field, problem) {
  return { tag: 'too-large', val: `${field}: ${problem}` };
}

export function notSupported(functionName) {
  return { tag: 'invalid-input', val: `${functionName} is not supported by this plugin` };
}
