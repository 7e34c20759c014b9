/** The WebGPU device was lost (driver reset, device destroyed): rerun on another backend. */
export class DeviceLostError extends Error {
  constructor(
    message: string,
    readonly reason: string = 'unknown',
  ) {
    super(message);
    this.name = 'DeviceLostError';
  }
}
