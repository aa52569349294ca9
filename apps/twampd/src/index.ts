// The twampd app's programmatic entry (see @twamp/daemon).
export * from '@twamp/daemon';
