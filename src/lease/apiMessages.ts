/**
 * kube-apiserver's exact messages for lease errors, shared by the memory store and the embedded
 * server (which passes its other resources, such as "events" or "events.events.k8s.io").
 */

const LEASES = 'leases.coordination.k8s.io';

export const notFoundMessage = (name: string, resource = LEASES) => `${resource} "${name}" not found`;

export const alreadyExistsMessage = (name: string, resource = LEASES) => `${resource} "${name}" already exists`;

export const conflictMessage = (name: string, resource = LEASES) =>
  `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
