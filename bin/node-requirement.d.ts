export declare const REQUIRED_NODE: string;
export declare function meetsNodeRequirement(version: string): boolean;
