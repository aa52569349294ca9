export { DGRAM_CAPABILITIES, openDgramSocket } from './socket.js';
