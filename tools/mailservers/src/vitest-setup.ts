// Placeholder replaced by the mailservers implementation (global setup that starts real servers).
export default function setup(): void {}
