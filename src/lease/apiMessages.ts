/** kube-apiserver's exact messages for lease errors, shared by the memory store and the embedded server. */

const resource = 'leases.coordination.k8s.io';

export const notFoundMessage = (name: string) => `${resource} "${name}" not found`;

export const alreadyExistsMessage = (name: string) => `${resource} "${name}" already exists`;

export const conflictMessage = (name: string) =>
  `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
