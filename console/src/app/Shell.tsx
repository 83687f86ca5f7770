import { ActionIcon, Badge, Burger, Group, Indicator, Menu, NavLink, Text, Title, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import type { LiveStatus } from '../api/live.ts';
import { queries } from '../api/queries.ts';
import { type SignedInUser, signOut } from '../api/session.ts';
import { messages } from '../messages.ts';
import { type Face, navigation } from './roles.ts';

/** The top bar (live state, notifications bell, account menu) and the face's navigation. */
export function Shell({ user, face, live, children }: { user: SignedInUser; face: Face; live: LiveStatus; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  const unread = useQuery(queries.unreadNotifications());
  const unreadCount = unread.data?.unread ?? 0;

  return (
    // The layout is console.css's (a grid, the navigation a drawer below 48em): Mantine's AppShell would
    // write its responsive sizes into a <style> element, which the Content-Security-Policy refuses.
    <div className="shell" data-nav-open={opened || undefined}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="shell-header">
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={messages.nav.openMenu} aria-expanded={opened} />
            <Title order={1} size="h4">
              <Link to="/" className="brand">
                {messages.appName}
              </Link>
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Badge variant="dot" color={live.connected ? 'teal' : 'gray'} c="dark.6" className="no-shrink" data-testid="live-state" data-last-change={live.lastChangeAt ?? ''}>
              {live.connected ? messages.live.connected : messages.live.disconnected}
            </Badge>
            <Indicator label={unreadCount} size={18} disabled={unreadCount === 0} color="red.9">
              <ActionIcon variant="subtle" color="dark" size="lg" aria-label={messages.notifications.bell(unreadCount)} onClick={() => navigate('/notifications')}>
                <BellIcon />
              </ActionIcon>
            </Indicator>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton aria-label={messages.account.label(user.email)} className="account-button">
                  <PersonIcon />
                  <Text size="sm" fw={500} truncate="end" maw={200} className="hide-on-phone">
                    {user.email}
                  </Text>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{messages.roles[user.role]}</Menu.Label>
                <Menu.Item onClick={() => navigate('/account/password')}>{messages.account.changePassword}</Menu.Item>
                <Menu.Item onClick={() => void signOut().then(() => navigate('/'))}>{messages.account.signOut}</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </header>
      <nav className="shell-nav" aria-label={messages.nav.main}>
        {navigation[face].filter((item) => !item.roles || item.roles.includes(user.role)).map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            active={location.pathname === item.to || location.pathname.startsWith(`${item.to}/`)}
            onClick={close}
          />
        ))}
      </nav>
      <main className="shell-main" id="main">
        {children}
      </main>
    </div>
  );
}

function PersonIcon() {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <circle cx="12" cy="8" r="4" />
      <path d="M4 21c0-4 4-6 8-6s8 2 8 6" />
    </svg>
  );
}

function BellIcon() {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
      <path d="M13.7 21a2 2 0 0 1-3.4 0" />
    </svg>
  );
}
