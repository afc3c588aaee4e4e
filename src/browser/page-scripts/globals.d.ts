/**
 * What the in-page scripts touch of Jitsi Meet's page (APP, lib-jitsi-meet's JitsiMeetJS and conference
 * objects) and of the AudioWorklet scope, typed loosely: the scripts guard every call with try/catch, so these
 * types only catch typos and misuse, not a Meet build that differs.
 */

interface JitsiTrack {
  getTrack(): MediaStreamTrack | null | undefined;
  getOriginalStream(): MediaStream | null | undefined;
  isMuted(): boolean;
}

interface JitsiParticipant {
  getId(): string;
  getJid(): string;
  getDisplayName(): string | undefined;
  getProperty(name: string): unknown;
  getTracksByMediaType(type: 'audio' | 'video'): JitsiTrack[];
  isHidden(): boolean;
  isHiddenFromRecorder(): boolean;
  isAudioMuted(): boolean;
  isVideoMuted(): boolean;
}

/** A MUC member as the chat room keeps it (lib-jitsi-meet ChatRoom.members). */
interface JitsiChatMember {
  nick?: string;
  isHiddenDomain?: boolean;
  identity?: unknown;
}

/** lib-jitsi-meet's ChatRoom (the conference's `room`). */
interface JitsiChatRoom {
  members: Record<string, JitsiChatMember | undefined>;
  addListener(event: string, listener: (...args: any[]) => void): void;
  addOrReplaceInPresence(key: string, value: { value: string | undefined }): void;
  sendPresence(): void;
}

/** lib-jitsi-meet's JitsiConference (`APP.conference._room`). */
interface JitsiConference {
  room: JitsiChatRoom;
  isJoined(): boolean;
  isE2EEEnabled?(): boolean;
  getParticipants(): JitsiParticipant[];
  sendTextMessage(text: string): void;
  sendMessage(message: string, type: string): void;
  leave(): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): void;
  off(event: string, listener: (...args: any[]) => void): void;
  addEventListener(event: string, listener: (...args: any[]) => void): void;
  removeEventListener(event: string, listener: (...args: any[]) => void): void;
}

declare var APP: {
  conference: {
    _room: JitsiConference;
    getStats(): { bitrate: { download: number } };
    getConnectionState(): string;
  };
};

declare var JitsiMeetJS: { events?: { conference?: Record<string, string | undefined> } };

interface Window {
  /** The participants tracker's state (participants.js). */
  __scribaParticipants?: any;
  /** The audio tap's state while it runs (audio-tap-start.js, audio-tap-stop.js). */
  __scribaAudioTap?: any;
}

/** The tap's core class, declared around the scripts that use it (audio-tap-core.js). */
declare var ScribaTapCore: import('./audio-tap-core.js').TapCoreClass;

// The AudioWorklet scope (audio-tap-worklet.js).
declare var sampleRate: number;
declare var currentTime: number;
declare function registerProcessor(name: string, processor: new (options?: any) => AudioWorkletProcessor): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
