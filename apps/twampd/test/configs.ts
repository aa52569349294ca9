// Configs shared by the in-process and the end-to-end tests: a small loopback one, and one of each
// class of mistake with the message it must produce.

/** Control and a TWAMP Light reflector on loopback, ports chosen by the system, metrics on. */
export const LOOPBACK = `listeners:
  control: { address: 127.0.0.1, port: 0, reflectorPorts: ephemeral }
  reflectors:
    - { name: light, protocol: twamp-light, address: 127.0.0.1, port: 0 }
metrics: { address: 127.0.0.1, port: 0 }
logging: { level: info, destination: stderr }
`;

// Each class of mistake: exit 2, the path, what is expected.
export const MISTAKES = [
  ['YAML syntax', 'listeners: [control\nlimits: {', /YAML-syntax\.yaml:2:1: \(YAML syntax\): expected valid YAML/],
  ['an unknown key', `${LOOPBACK}limits:\n  sessionsTotall: 3\n`, /limits\.sessionsTotall: expected a known key/],
  ['a wrong type', `${LOOPBACK}limits:\n  sessionsTotal: many\n`, /limits\.sessionsTotal.*expected/],
  ['a bad CIDR', `${LOOPBACK}access:\n  control: [10.0.0.0/33]\n`, /access\.control\[0\].*expected/],
  ['a missing key file', `${LOOPBACK}security:\n  modes: [authenticated]\n  keyFile: /nonexistent/twampd.keys\n`, /security\.keyFile: expected a readable key file/],
] as const;

