await import('protobufjs');
