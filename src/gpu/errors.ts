// DeviceLostError is one of emgpu's error kinds (src/errors.ts); the GPU engine re-exports it.
export { DeviceLostError } from '../errors.ts';
